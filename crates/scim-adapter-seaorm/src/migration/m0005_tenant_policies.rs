//! Per-tenant provisioning policies, as JSON text on the tenant row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("scim_tenants")
                    .add_column(ColumnDef::new("policies").text().null())
                    .to_owned(),
            )
            .await
    }
}
