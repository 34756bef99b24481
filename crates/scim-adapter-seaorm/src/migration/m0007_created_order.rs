//! An index on the default order of query results, `(created_at, id)`
//! within a tenant's resources of one type, so that a page by cursor
//! (`created_at >= ? AND (created_at > ? OR id > ?) ... ORDER BY
//! created_at, id LIMIT n`) is a range scan of the index instead of a sort
//! of every resource of the tenant.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_resources_created_order")
                    .table("scim_resources")
                    .col("tenant_id")
                    .col("resource_type")
                    .col("created_at")
                    .col("id")
                    .to_owned(),
            )
            .await
    }
}
