//! Token rotation confirmed by first use: `scim_credentials.replaces`, the
//! id of the credential a rotated token replaces, NULL once the rotation
//! is confirmed (or for a token not issued by a rotation).

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
                    .add_column(ColumnDef::new("replaces").string_len(64).null())
                    .to_owned(),
            )
            .await
    }
}
