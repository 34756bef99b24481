//! `scim_resources`: every SCIM resource of every tenant, soft-deleted rows included.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_resources")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) resource_type: String,
    pub(crate) external_id: Option<String>,
    /// The folded unique attribute (e.g. lowercase `userName`); NULL once
    /// deleted, so that deleted rows never collide with live ones.
    pub(crate) unique_key: Option<String>,
    /// The folded `displayName`, for filters and sorting; NULL when absent
    /// or longer than the column.
    pub(crate) display_key: Option<String>,
    /// The resource's attributes as JSON text, without `id` and `meta`.
    #[sea_orm(column_type = "Text")]
    pub(crate) data: String,
    pub(crate) version: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) deleted_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
