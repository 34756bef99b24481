//! Credential expiry: `scim_credentials.expires_at`, microseconds since the
//! epoch like `created_at` and `revoked_at` (which `m0001` created), NULL
//! for a credential that never expires; and an index for listing a
//! tenant's credentials oldest first.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("scim_credentials")
                    .add_column(ColumnDef::new("expires_at").big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_credentials_tenant_created")
                    .table("scim_credentials")
                    .col("tenant_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await
    }
}
