//! A folded `displayName` column, so that `displayName eq "Sales"` (how
//! identity providers find groups) is answered by an index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("scim_resources")
                    .add_column(ColumnDef::new("display_key").string_len(512).null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_resources_display_key")
                    .table("scim_resources")
                    .col("tenant_id")
                    .col("resource_type")
                    .col("display_key")
                    .to_owned(),
            )
            .await
    }
}
