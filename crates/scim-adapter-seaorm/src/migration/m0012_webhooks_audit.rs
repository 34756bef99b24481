//! Webhooks, their delivery attempts, and the audit log.
//!
//! - `scim_webhooks`: one row per webhook, with its delivery state: the
//!   cursor (`delivered_through`), the schedule (`next_attempt_at`,
//!   `attempts` = consecutive failures) and the lease of the replica
//!   delivering it (`lease_owner`, `lease_until`).
//! - `scim_webhook_attempts`: every delivery attempt.
//! - `scim_audit`: one row per mutating SCIM request; `id` is the cursor.
//!
//! Timestamps are microseconds since the epoch, like everywhere else.

use sea_orm_migration::prelude::*;

use super::{serial_key, table, tenant_fk};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                table(backend, "scim_webhooks")
                    .col(ColumnDef::new("id").string_len(36).not_null().primary_key())
                    .col(ColumnDef::new("tenant_id").string_len(36).not_null())
                    .col(ColumnDef::new("url").string_len(2048).not_null())
                    .col(ColumnDef::new("secret").string_len(128).not_null())
                    .col(ColumnDef::new("created_at").big_integer().not_null())
                    .col(ColumnDef::new("disabled_at").big_integer().null())
                    .col(ColumnDef::new("delivered_through").big_integer().not_null())
                    .col(ColumnDef::new("next_attempt_at").big_integer().not_null())
                    .col(ColumnDef::new("attempts").integer().not_null())
                    .col(ColumnDef::new("lease_owner").string_len(64).null())
                    .col(ColumnDef::new("lease_until").big_integer().null())
                    .foreign_key(&mut tenant_fk("scim_webhooks"))
                    .to_owned(),
            )
            .await?;
        // The workers' question: which webhooks are due?
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_webhooks_due")
                    .table("scim_webhooks")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_webhooks_tenant_created")
                    .table("scim_webhooks")
                    .col("tenant_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(backend, "scim_webhook_attempts")
                    .col(serial_key("id"))
                    .col(ColumnDef::new("webhook_id").string_len(36).not_null())
                    .col(ColumnDef::new("tenant_id").string_len(36).not_null())
                    .col(ColumnDef::new("at").big_integer().not_null())
                    .col(ColumnDef::new("first_sequence").big_integer().not_null())
                    .col(ColumnDef::new("last_sequence").big_integer().not_null())
                    .col(ColumnDef::new("status").integer().null())
                    .col(ColumnDef::new("error").string_len(512).null())
                    .col(ColumnDef::new("duration_ms").big_integer().not_null())
                    .foreign_key(&mut tenant_fk("scim_webhook_attempts"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scim_webhook_attempts_webhook")
                            .from("scim_webhook_attempts", "webhook_id")
                            .to("scim_webhooks", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        // A webhook's attempts, newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_webhook_attempts_webhook")
                    .table("scim_webhook_attempts")
                    .col("webhook_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        // Purging a tenant's old attempts.
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_webhook_attempts_tenant_at")
                    .table("scim_webhook_attempts")
                    .col("tenant_id")
                    .col("at")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                table(backend, "scim_audit")
                    .col(serial_key("id"))
                    .col(ColumnDef::new("tenant_id").string_len(36).not_null())
                    .col(ColumnDef::new("at").big_integer().not_null())
                    .col(ColumnDef::new("credential_id").string_len(64).not_null())
                    .col(ColumnDef::new("request_id").string_len(128).not_null())
                    .col(ColumnDef::new("method").string_len(16).not_null())
                    .col(ColumnDef::new("path").string_len(512).not_null())
                    .col(ColumnDef::new("resource_type").string_len(255).null())
                    .col(ColumnDef::new("resource_id").string_len(255).null())
                    .col(ColumnDef::new("status").integer().not_null())
                    .foreign_key(&mut tenant_fk("scim_audit"))
                    .to_owned(),
            )
            .await?;
        // A tenant's log from a cursor.
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_audit_tenant_id")
                    .table("scim_audit")
                    .col("tenant_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        // Purging a tenant's old entries.
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_audit_tenant_at")
                    .table("scim_audit")
                    .col("tenant_id")
                    .col("at")
                    .to_owned(),
            )
            .await
    }
}
