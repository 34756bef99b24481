//! `scim_events`: the transactional outbox, one row per provisioning event.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_events")]
pub(crate) struct Model {
    /// The feed position.
    #[sea_orm(primary_key)]
    pub(crate) sequence: i64,
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) event_type: String,
    pub(crate) resource_type: String,
    pub(crate) resource_id: String,
    pub(crate) occurred_at: i64,
    /// The event's details as JSON text.
    #[sea_orm(column_type = "Text")]
    pub(crate) data: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
