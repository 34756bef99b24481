//! `scim_members`: group memberships, one row per (group, member).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_members")]
pub(crate) struct Model {
    /// Insertion order: members are listed in the order they were added.
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    pub(crate) tenant_id: String,
    pub(crate) group_id: String,
    pub(crate) member_id: String,
    /// `User` or `Group`.
    pub(crate) member_type: String,
    pub(crate) created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
