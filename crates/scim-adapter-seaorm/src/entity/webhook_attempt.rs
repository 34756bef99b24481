//! `scim_webhook_attempts`: every delivery attempt of a webhook.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_webhook_attempts")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    pub(crate) webhook_id: String,
    pub(crate) tenant_id: String,
    pub(crate) at: i64,
    pub(crate) first_sequence: i64,
    pub(crate) last_sequence: i64,
    pub(crate) status: Option<i32>,
    pub(crate) error: Option<String>,
    pub(crate) duration_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
