//! The default-order index with `deleted_at` in it:
//! `(tenant_id, resource_type, deleted_at, created_at, id)`, replacing
//! m0007's `(tenant_id, resource_type, created_at, id)`.
//!
//! Every query asks for live rows (`deleted_at IS NULL`). Without the
//! column in the index, counting a tenant's users for `totalResults`, or
//! skipping rows for a page by `startIndex`, looked up the table row of
//! every resource; with it, both read the index alone, and a page by
//! cursor is a range of it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_resources_live_order")
                    .table("scim_resources")
                    .col("tenant_id")
                    .col("resource_type")
                    .col("deleted_at")
                    .col("created_at")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_scim_resources_created_order")
                    .table("scim_resources")
                    .to_owned(),
            )
            .await
    }
}
