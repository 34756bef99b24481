//! The event outbox: written in the same transaction as each change.

use sea_orm_migration::prelude::*;

use super::{serial_key, table, tenant_fk};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut table = table(backend, "scim_events");
        manager
            .create_table(
                table
                    .col(serial_key("sequence"))
                    .col(ColumnDef::new("id").string_len(36).not_null())
                    .col(ColumnDef::new("tenant_id").string_len(36).not_null())
                    .col(ColumnDef::new("event_type").string_len(32).not_null())
                    .col(ColumnDef::new("resource_type").string_len(32).not_null())
                    .col(ColumnDef::new("resource_id").string_len(36).not_null())
                    .col(ColumnDef::new("occurred_at").big_integer().not_null())
                    .col(ColumnDef::new("data").text().not_null())
                    .foreign_key(&mut tenant_fk("scim_events"))
                    .to_owned(),
            )
            .await?;
        // The feed of one tenant, from a cursor.
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_events_tenant_sequence")
                    .table("scim_events")
                    .col("tenant_id")
                    .col("sequence")
                    .to_owned(),
            )
            .await
    }
}
