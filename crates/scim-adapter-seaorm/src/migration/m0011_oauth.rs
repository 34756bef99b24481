//! OAuth: `scim_clients` (a tenant's OAuth clients, secrets as SHA-256
//! hashes), `scim_jwt_trust` (external token issuers a tenant trusts; an
//! issuer and audience name one tenant at most) and `scim_server_keys`
//! (the server's own keys, such as the HMAC key of its access tokens,
//! shared by every replica). Times are microseconds since the epoch.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::{table, tenant_fk};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Longest issuer and audience: on MySQL the unique (issuer, audience)
/// index must fit 3072 bytes of utf8mb4.
const MAX_TRUST_CHARS: u32 = 255;

fn id_col(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.string_len(36).not_null();
    c
}

/// A JWKS document: MySQL's TEXT stops at 64 KiB, the core's limit.
fn document(backend: DbBackend, name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    if backend == DbBackend::MySql {
        c.custom("MEDIUMTEXT");
    } else {
        c.text();
    }
    c.null();
    c
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                table(backend, "scim_clients")
                    .col(id_col("id").primary_key())
                    .col(id_col("tenant_id"))
                    .col(ColumnDef::new("name").string_len(255).not_null())
                    .col(ColumnDef::new("secret_hash").string_len(64).not_null())
                    .col(ColumnDef::new("created_at").big_integer().not_null())
                    .col(ColumnDef::new("revoked_at").big_integer().null())
                    .foreign_key(&mut tenant_fk("scim_clients"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_clients_tenant_created")
                    .table("scim_clients")
                    .col("tenant_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(backend, "scim_jwt_trust")
                    .col(id_col("id").primary_key())
                    .col(id_col("tenant_id"))
                    .col(
                        ColumnDef::new("issuer")
                            .string_len(MAX_TRUST_CHARS)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new("audience")
                            .string_len(MAX_TRUST_CHARS)
                            .not_null(),
                    )
                    .col(ColumnDef::new("jwks_url").string_len(2048).null())
                    .col(document(backend, "jwks_json"))
                    .col(ColumnDef::new("created_at").big_integer().not_null())
                    .foreign_key(&mut tenant_fk("scim_jwt_trust"))
                    .to_owned(),
            )
            .await?;
        // How a token's `iss` and `aud` find their one tenant.
        manager
            .create_index(
                Index::create()
                    .name("ux_scim_jwt_trust_issuer_audience")
                    .table("scim_jwt_trust")
                    .col("issuer")
                    .col("audience")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_jwt_trust_tenant")
                    .table("scim_jwt_trust")
                    .col("tenant_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(backend, "scim_server_keys")
                    .col(
                        ColumnDef::new("name")
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new("secret").string_len(256).not_null())
                    .col(ColumnDef::new("created_at").big_integer().not_null())
                    .to_owned(),
            )
            .await
    }
}
