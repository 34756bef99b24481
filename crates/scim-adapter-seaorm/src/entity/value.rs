//! `scim_values`: every leaf value of every resource, for filters on any
//! attribute. Rebuilt for a resource whenever it is written.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_values")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub(crate) id: i64,
    pub(crate) tenant_id: String,
    pub(crate) resource_type: String,
    pub(crate) resource_id: String,
    /// Lowercase attribute path: `title`, `name.givenname`, `emails.value`,
    /// `urn:...:user:employeenumber`.
    pub(crate) path: String,
    /// Which value of a multi-valued attribute (0 for single values), so
    /// that `emails[type eq "work" and value co "x"]` looks at one email.
    pub(crate) elem: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub(crate) text_exact: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub(crate) text_folded: Option<String>,
    /// Numbers, and dateTimes as microseconds since the epoch.
    pub(crate) num_value: Option<f64>,
    pub(crate) bool_value: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
