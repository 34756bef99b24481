//! The value index: one row per leaf value, so that filters on any
//! attribute run in the database.

use sea_orm_migration::prelude::*;

use super::{serial_key, table};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                table(backend, "scim_values")
                    .col(serial_key("id"))
                    .col(ColumnDef::new("tenant_id").string_len(36).not_null())
                    .col(ColumnDef::new("resource_type").string_len(32).not_null())
                    .col(ColumnDef::new("resource_id").string_len(36).not_null())
                    .col(ColumnDef::new("path").string_len(255).not_null())
                    .col(ColumnDef::new("elem").integer().not_null())
                    .col(ColumnDef::new("text_exact").text().null())
                    .col(ColumnDef::new("text_folded").text().null())
                    .col(ColumnDef::new("num_value").double().null())
                    .col(ColumnDef::new("bool_value").boolean().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_values_resource_path")
                    .table("scim_values")
                    .col("resource_id")
                    .col("path")
                    .to_owned(),
            )
            .await
    }
}
