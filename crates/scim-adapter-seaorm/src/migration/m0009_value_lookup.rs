//! An index that lets a filter on an indexed value find its resources
//! directly: `(tenant_id, resource_type, path, text_folded)` on the value
//! index. Filters are written as `id IN (SELECT resource_id FROM
//! scim_values WHERE tenant_id = ? AND resource_type = ? AND path = ? AND
//! text_folded = ?)`, which this index answers with one range scan,
//! instead of testing every resource of the tenant.
//!
//! MySQL/MariaDB cannot index a whole TEXT column: the index keeps the
//! first 191 characters of the folded text, and the engine rechecks the
//! rest of longer values.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut index = Index::create();
        index
            .name("ix_scim_values_lookup_folded")
            .table("scim_values")
            .col("tenant_id")
            .col("resource_type")
            .col("path");
        if manager.get_database_backend() == DbBackend::MySql {
            index.col(("text_folded", 191));
        } else {
            index.col("text_folded");
        }
        manager.create_index(index.to_owned()).await
    }
}
