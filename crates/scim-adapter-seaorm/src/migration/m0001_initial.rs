//! Tenants, credentials and resources.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::{table, tenant_fk};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Longest `userName`, `externalId` or folded key the schema stores. On
/// MySQL a (tenant, type, key) index must fit 3072 bytes of utf8mb4.
pub(crate) const MAX_KEY_CHARS: u32 = 512;

/// Unbounded JSON text: MySQL's TEXT stops at 64 KiB.
fn json_text(backend: DbBackend, name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    if backend == DbBackend::MySql {
        c.custom("LONGTEXT");
    } else {
        c.text();
    }
    c.not_null();
    c
}

fn id_col(name: &'static str) -> ColumnDef {
    let mut c = ColumnDef::new(name);
    c.string_len(36).not_null();
    c
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();

        manager
            .create_table(
                table(backend, "scim_tenants")
                    .col(id_col("id").primary_key())
                    .col(ColumnDef::new("name").string_len(255).not_null())
                    .col(ColumnDef::new("created_at").big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_scim_tenants_name")
                    .table("scim_tenants")
                    .col("name")
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(backend, "scim_credentials")
                    .col(id_col("id").primary_key())
                    .col(id_col("tenant_id"))
                    .col(ColumnDef::new("token_hash").string_len(64).not_null())
                    .col(ColumnDef::new("prefix").string_len(32).not_null())
                    .col(ColumnDef::new("created_at").big_integer().not_null())
                    .col(ColumnDef::new("revoked_at").big_integer().null())
                    .foreign_key(&mut tenant_fk("scim_credentials"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_scim_credentials_token_hash")
                    .table("scim_credentials")
                    .col("token_hash")
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(backend, "scim_resources")
                    .col(id_col("id").primary_key())
                    .col(id_col("tenant_id"))
                    .col(ColumnDef::new("resource_type").string_len(32).not_null())
                    .col(
                        ColumnDef::new("external_id")
                            .string_len(MAX_KEY_CHARS)
                            .null(),
                    )
                    .col(
                        ColumnDef::new("unique_key")
                            .string_len(MAX_KEY_CHARS)
                            .null(),
                    )
                    .col(json_text(backend, "data"))
                    .col(ColumnDef::new("version").big_integer().not_null())
                    .col(ColumnDef::new("created_at").big_integer().not_null())
                    .col(ColumnDef::new("updated_at").big_integer().not_null())
                    .col(ColumnDef::new("deleted_at").big_integer().null())
                    .foreign_key(&mut tenant_fk("scim_resources"))
                    .to_owned(),
            )
            .await?;
        // Live rows carry their folded key; deleted rows carry NULL, which
        // no unique index on any of the three engines treats as a duplicate.
        manager
            .create_index(
                Index::create()
                    .name("ux_scim_resources_unique_key")
                    .table("scim_resources")
                    .col("tenant_id")
                    .col("resource_type")
                    .col("unique_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_resources_external_id")
                    .table("scim_resources")
                    .col("tenant_id")
                    .col("resource_type")
                    .col("external_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
