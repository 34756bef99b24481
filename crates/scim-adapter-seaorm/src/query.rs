//! Translation of SCIM filters and sorts into SQL conditions.
//!
//! Every query runs in the database: what cannot be translated is reported
//! as `StoreError::Unsupported`, never evaluated in memory. Today the
//! attributes with their own indexed columns are translated (`id`,
//! `userName`, `externalId`, `displayName`, `meta.created`,
//! `meta.lastModified`), values of other attributes through the value
//! index, and memberships through their own table (a group's
//! `members[value eq "id"]` or `members.value eq "id"`, a user's
//! `groups[value eq "id"]` or `groups.value eq "id"`), combined with `and`,
//! `or` and `not`.

use chrono::DateTime;
use scim_core::ports::StoreError;
use scim_core::{Position, ResourceKind, SortOrder, SortValue, TenantId};
use scim_filter::{AttrPath, AttributeResolver, CompValue, CompareOp, Filter, Schemas};
use scim_schema::{AttributeDef, AttributeType};
use sea_orm::sea_query::{Alias, Expr, LikeExpr, Query as Sql, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, ExprTrait};

use crate::entity::resource::Column;
use crate::entity::{member, resource, value};

/// The column an attribute path maps to, and how its values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// `id`: exact text.
    Id,
    /// `userName`, stored folded in `unique_key`.
    UserName,
    /// `externalId`: exact text, nullable.
    ExternalId,
    /// `displayName`, stored folded in `display_key`, nullable.
    DisplayName,
    /// `meta.created`, in microseconds.
    Created,
    /// `meta.lastModified`, in microseconds.
    LastModified,
}

impl Target {
    pub(crate) fn column(self) -> Column {
        match self {
            Target::Id => Column::Id,
            Target::UserName => Column::UniqueKey,
            Target::ExternalId => Column::ExternalId,
            Target::DisplayName => Column::DisplayKey,
            Target::Created => Column::CreatedAt,
            Target::LastModified => Column::UpdatedAt,
        }
    }

    /// Whether the column holds folded (lowercase) values.
    fn folded(self) -> bool {
        matches!(self, Target::UserName | Target::DisplayName)
    }

    fn nullable(self) -> bool {
        matches!(self, Target::ExternalId | Target::DisplayName)
    }
}

/// The sort key of `row` in the order of `target`, as that order
/// compares it: what a [`Position`] carries.
pub(crate) fn sort_value(target: Target, row: &resource::Model) -> Option<SortValue> {
    let instant = |us: i64| DateTime::from_timestamp_micros(us).map(SortValue::Instant);
    match target {
        Target::Id => Some(SortValue::Text(row.id.clone())),
        Target::UserName => row.unique_key.clone().map(SortValue::Text),
        Target::ExternalId => row.external_id.clone().map(SortValue::Text),
        Target::DisplayName => row.display_key.clone().map(SortValue::Text),
        Target::Created => instant(row.created_at),
        Target::LastModified => instant(row.updated_at),
    }
}

/// The rows strictly after `after` in the order `ORDER BY (column IS
/// NULL), column, created_at, id` (each ascending, or the first two
/// descending for `Descending`), or `ORDER BY created_at, id` without a
/// sort column.
///
/// Written out with AND/OR rather than row values, which MySQL and older
/// SQLite do not compare alike; each branch leads with a plain range on
/// its first column, so that an index on the order serves it.
pub(crate) fn seek(
    target: Option<Target>,
    order: SortOrder,
    after: &Position,
) -> Result<Condition, StoreError> {
    if !crate::store::storable(&after.id) {
        return Err(StoreError::InvalidPosition);
    }
    let created = after.created.timestamp_micros();
    // Same key: later creation, or the same creation and a greater id.
    let tie = Condition::all().add(Column::CreatedAt.gte(created)).add(
        Condition::any()
            .add(Column::CreatedAt.gt(created))
            .add(Column::Id.gt(after.id.as_str())),
    );
    let Some(target) = target else {
        return Ok(tie);
    };
    let column = target.column();
    let key: Option<sea_orm::Value> = match (&after.key, target) {
        (None, _) => None,
        (Some(SortValue::Instant(at)), Target::Created | Target::LastModified) => {
            Some(at.timestamp_micros().into())
        }
        (
            Some(SortValue::Text(text)),
            Target::Id | Target::UserName | Target::ExternalId | Target::DisplayName,
        ) if crate::store::storable(text) => Some(text.as_str().into()),
        _ => return Err(StoreError::InvalidPosition),
    };
    let missing = || Condition::all().add(column.is_null());
    let present = || Condition::all().add(column.is_not_null());
    Ok(match (key, order) {
        // Values first, then the resources without one.
        (Some(key), SortOrder::Ascending) => Condition::any()
            .add(column.gt(key.clone()))
            .add(Condition::all().add(column.eq(key)).add(tie))
            .add(missing()),
        (None, SortOrder::Ascending) => missing().add(tie),
        // The resources without a value first, then values downwards.
        (Some(key), SortOrder::Descending) => Condition::any()
            .add(column.lt(key.clone()))
            .add(Condition::all().add(column.eq(key)).add(tie)),
        (None, SortOrder::Descending) => Condition::any().add(present()).add(missing().add(tie)),
    })
}

/// Maps a resolved attribute path to its column, if it has one.
pub(crate) fn target(path: &AttrPath, kind: ResourceKind, schemas: &Schemas) -> Option<Target> {
    let resolved = schemas.resolve_path(path).ok()?;
    if resolved.extension.is_some() {
        return None;
    }
    let top = resolved.attribute.name.as_str();
    let sub = resolved.sub_attribute.map(|s| s.name.as_str());
    match (top, sub) {
        ("id", None) => Some(Target::Id),
        ("externalId", None) => Some(Target::ExternalId),
        ("userName", None) if kind == ResourceKind::User => Some(Target::UserName),
        ("displayName", None) => Some(Target::DisplayName),
        ("meta", Some("created")) => Some(Target::Created),
        ("meta", Some("lastModified")) => Some(Target::LastModified),
        _ => None,
    }
}

/// Whose resources a condition selects. Lookups in the value index
/// repeat the tenant and the type, so that they are range scans of
/// `ix_scim_values_lookup_folded` rather than tests of every resource.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) tenant: &'a TenantId,
    pub(crate) kind: ResourceKind,
}

/// The SQL condition equivalent to `filter`.
///
/// Conditions on indexed values are `id IN (SELECT resource_id FROM
/// scim_values ...)`: every engine runs such a subquery once and looks the
/// resources up by key, where a correlated `EXISTS` would be tested row by
/// row on SQLite and MariaDB.
pub(crate) fn condition(
    filter: &Filter,
    scope: Scope<'_>,
    schemas: &Schemas,
) -> Result<Condition, StoreError> {
    let kind = scope.kind;
    Ok(match filter {
        Filter::And(a, b) => Condition::all()
            .add(condition(a, scope, schemas)?)
            .add(condition(b, scope, schemas)?),
        Filter::Or(a, b) => Condition::any()
            .add(condition(a, scope, schemas)?)
            .add(condition(b, scope, schemas)?),
        Filter::Not(inner) => condition(inner, scope, schemas)?.not(),
        Filter::Present(path) => match target(path, kind, schemas) {
            Some(t) => Condition::all().add(t.column().is_not_null()),
            None => {
                let (key, def) = index_key(path, schemas).ok_or_else(|| unsupported(filter))?;
                Condition::all().add(present(Some(scope), &key, def))
            }
        },
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(id),
        } if membership(path, kind, schemas, true).is_some() => {
            let side = membership(path, kind, schemas, true).ok_or_else(|| unsupported(filter))?;
            in_membership(scope, side, vec![id.clone()])
        }
        Filter::Compare { path, op, value } if target(path, kind, schemas).is_none() => {
            let (key, def) = index_key(path, schemas).ok_or_else(|| unsupported(filter))?;
            let (key, def) = comparable(key, def).ok_or_else(|| unsupported(filter))?;
            indexed_comparison(Some(scope), &key, def, *op, value)
                .ok_or_else(|| unsupported(filter))?
        }
        Filter::Compare { path, op, value } => {
            let t = target(path, kind, schemas).ok_or_else(|| unsupported(filter))?;
            let compared = comparison(t, *op, value).ok_or_else(|| unsupported(filter))?;
            // A missing value matches no comparison, and `not` of it must
            // then match: keep SQL's NULL from swallowing the row.
            let mut c = Condition::all();
            if t.nullable() {
                c = c.add(t.column().is_not_null());
            }
            c.add(compared)
        }
        Filter::ValuePath {
            attr,
            filter: inner,
        } => {
            let Some(side) = membership(attr, kind, schemas, false) else {
                let (key, def) = index_key(attr, schemas).ok_or_else(|| unsupported(filter))?;
                if def.ty != AttributeType::Complex || attr.sub_attr.is_some() {
                    return Err(unsupported(filter));
                }
                let driver = driving_leaf(inner, &key, def).unwrap_or_else(|| {
                    Condition::all().add(
                        Expr::col((Alias::new(ELEMENT), value::Column::Path))
                            .like(LikeExpr::new(format!("{}.%", escape(&key))).escape('\\')),
                    )
                });
                let inner =
                    element_condition(inner, &key, def).ok_or_else(|| unsupported(filter))?;
                // One element of the attribute satisfies the whole value
                // filter: the element is named by one of its leaves (the
                // driver, which the lookup index finds), and its other
                // leaves are tested beside it.
                return Ok(Condition::all().add(values_in(
                    scope,
                    ELEMENT,
                    Condition::all().add(driver).add(inner),
                )));
            };
            let mut ids = Vec::new();
            if !member_ids(inner, &mut ids) {
                return Err(unsupported(filter));
            }
            in_membership(scope, side, ids)
        }
    })
}

/// Which side of the membership table a filter on `members` (of a group)
/// or `groups` (of a user) reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// A group's `members`: the filter names members; groups are selected.
    Members,
    /// A user's `groups`: the filter names groups; members are selected.
    Groups,
}

/// The membership side `path` names: `members` of a group or `groups` of
/// a user, and with `value_allowed` also their `.value` (RFC 7644
/// §3.4.2.2: `members eq "id"` compares the `value` sub-attribute).
fn membership(
    path: &AttrPath,
    kind: ResourceKind,
    schemas: &Schemas,
    value_allowed: bool,
) -> Option<Side> {
    let resolved = schemas.resolve_path(path).ok()?;
    if resolved.extension.is_some() {
        return None;
    }
    match resolved.sub_attribute {
        None => {}
        Some(sub) if value_allowed && sub.name == "value" => {}
        Some(_) => return None,
    }
    match (kind, resolved.attribute.name.as_str()) {
        (ResourceKind::Group, "members") => Some(Side::Members),
        (ResourceKind::User, "groups") => Some(Side::Groups),
        _ => None,
    }
}

/// `id IN (SELECT ... FROM scim_members ...)`: the groups having one of
/// `ids` as a member (how Entra ID and Okta check one membership without
/// reading a group's members, on the (tenant, member) index), or the
/// members of one of the groups `ids` (on the (group, member) index).
fn in_membership(scope: Scope<'_>, side: Side, mut ids: Vec<String>) -> Condition {
    ids.retain(|id| crate::store::storable(id));
    if ids.is_empty() {
        return Condition::all().add(Expr::val(1).eq(0));
    }
    let (selected, named) = match side {
        Side::Members => (member::Column::GroupId, member::Column::MemberId),
        Side::Groups => (member::Column::MemberId, member::Column::GroupId),
    };
    let subquery = Sql::select()
        .column((member::Entity, selected))
        .from(member::Entity)
        .and_where(Expr::col((member::Entity, member::Column::TenantId)).eq(scope.tenant.as_str()))
        .and_where(Expr::col((member::Entity, named)).is_in(ids))
        .to_owned();
    Condition::all().add(Expr::col((resource::Entity, Column::Id)).in_subquery(subquery))
}

/// The alias of the element a value filter is evaluated on.
const ELEMENT: &str = "ve";
/// The alias of one leaf value.
const LEAF: &str = "vs";

/// The index path and definition of an attribute path outside a value
/// filter: lowercase, extension attributes behind their lowercase URN.
fn index_key<'a>(path: &AttrPath, schemas: &'a Schemas) -> Option<(String, &'a AttributeDef)> {
    let resolved = schemas.resolve_path(path).ok()?;
    // Not in the stored document: `meta` (beyond its own columns) and the
    // memberships, which live in their own table.
    if resolved.extension.is_none()
        && matches!(
            resolved.attribute.name.as_str(),
            "meta" | "groups" | "members"
        )
    {
        return None;
    }
    let mut key = match resolved.extension {
        Some(urn) => format!(
            "{}:{}",
            urn.to_lowercase(),
            resolved.attribute.name.to_lowercase()
        ),
        None => resolved.attribute.name.to_lowercase(),
    };
    let def = match resolved.sub_attribute {
        Some(sub) => {
            key.push('.');
            key.push_str(&sub.name.to_lowercase());
            sub
        }
        None => resolved.attribute,
    };
    Some((key, def))
}

/// A comparison on a complex attribute compares its `value` sub-attribute
/// (RFC 7644 §3.4.2.2: `emails co "x"`).
fn comparable(key: String, def: &AttributeDef) -> Option<(String, &AttributeDef)> {
    if def.ty != AttributeType::Complex {
        return Some((key, def));
    }
    let sub = def.sub_attribute("value")?;
    Some((format!("{key}.value"), sub))
}

/// The resources of `scope` with a row of the value index (named `alias`)
/// that satisfies `condition`.
fn values_in(scope: Scope<'_>, alias: &str, condition: Condition) -> SimpleExpr {
    let rows = Sql::select()
        .column((Alias::new(alias), value::Column::ResourceId))
        .from_as(value::Entity, Alias::new(alias))
        .and_where(
            Expr::col((Alias::new(alias), value::Column::TenantId)).eq(scope.tenant.as_str()),
        )
        .and_where(
            Expr::col((Alias::new(alias), value::Column::ResourceType)).eq(scope.kind.as_str()),
        )
        .cond_where(condition)
        .to_owned();
    Expr::col((resource::Entity, Column::Id)).in_subquery(rows)
}

/// A leaf at `key` satisfying `condition`: of a resource of `scope`, or,
/// without a scope, of the element a value filter is testing.
fn leaf(scope: Option<Scope<'_>>, key: &str, condition: Condition) -> SimpleExpr {
    let at_key = Condition::all()
        .add(Expr::col((Alias::new(LEAF), value::Column::Path)).eq(key))
        .add(condition);
    match scope {
        Some(scope) => values_in(scope, LEAF, at_key),
        None => in_element(at_key),
    }
}

/// `EXISTS` a leaf of the element a value filter is testing (the row
/// aliased [`ELEMENT`]) that satisfies `condition`.
fn in_element(condition: Condition) -> SimpleExpr {
    let leaf = Sql::select()
        .expr(Expr::val(1))
        .from_as(value::Entity, Alias::new(LEAF))
        .and_where(
            Expr::col((Alias::new(LEAF), value::Column::ResourceId))
                .equals((Alias::new(ELEMENT), value::Column::ResourceId)),
        )
        .and_where(
            Expr::col((Alias::new(LEAF), value::Column::Elem))
                .equals((Alias::new(ELEMENT), value::Column::Elem)),
        )
        .cond_where(condition)
        .to_owned();
    Expr::exists(leaf)
}

/// Whether the attribute at `key` has a value (for complex attributes:
/// any sub-attribute), for a resource of `scope` or, without one, in the
/// element being tested.
fn present(scope: Option<Scope<'_>>, key: &str, def: &AttributeDef) -> SimpleExpr {
    if def.ty != AttributeType::Complex {
        return leaf(scope, key, Condition::all());
    }
    let any = Condition::all().add(
        Expr::col((Alias::new(LEAF), value::Column::Path))
            .like(LikeExpr::new(format!("{}.%", escape(key))).escape('\\')),
    );
    match scope {
        Some(scope) => values_in(scope, LEAF, any),
        None => in_element(any),
    }
}

/// The leaf row that can name the element of a value filter through the
/// lookup index: one `sub eq "text"` the filter requires (at the top of
/// its `and`s), preferring `value` and avoiding `type`, whose few values
/// (`work`, `home`) would name most elements of the tenant. `None` when it
/// requires none; the element is then found by its path prefix.
fn driving_leaf(filter: &Filter, key: &str, parent: &AttributeDef) -> Option<Condition> {
    let mut candidates = Vec::new();
    equalities(filter, &mut candidates);
    let rank = |name: &str| match name.to_ascii_lowercase().as_str() {
        "value" => 0,
        "type" => 2,
        _ => 1,
    };
    candidates.sort_by_key(|(name, _)| rank(name));
    candidates.into_iter().find_map(|(name, s)| {
        let sub = parent.sub_attribute(name)?;
        if !matches!(
            sub.ty,
            AttributeType::String | AttributeType::Reference | AttributeType::Binary
        ) || !crate::store::storable(s)
        {
            return None;
        }
        let (column, text) = if sub.case_exact {
            (value::Column::TextExact, s.to_owned())
        } else {
            (value::Column::TextFolded, s.to_lowercase())
        };
        let row = |c: value::Column| Expr::col((Alias::new(ELEMENT), c));
        Some(
            Condition::all()
                .add(row(value::Column::Path).eq(format!("{key}.{}", sub.name.to_lowercase())))
                .add(row(column).eq(text)),
        )
    })
}

/// The `sub eq "text"` comparisons a filter requires: those at the top of
/// its `and`s.
fn equalities<'f>(filter: &'f Filter, out: &mut Vec<(&'f str, &'f str)>) {
    match filter {
        Filter::And(a, b) => {
            equalities(a, out);
            equalities(b, out);
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(s),
        } if path.schema.is_none() && path.sub_attr.is_none() => {
            out.push((path.name.as_str(), s.as_str()));
        }
        _ => {}
    }
}

/// A comparison answered by the value index. `eq null` asks for no value,
/// `ne null` for some; other comparisons ask for some value that
/// satisfies them, as the evaluator does for multi-valued attributes.
fn indexed_comparison(
    scope: Option<Scope<'_>>,
    key: &str,
    def: &AttributeDef,
    op: CompareOp,
    value: &CompValue,
) -> Option<Condition> {
    if let CompValue::Null = value {
        let some = leaf(scope, key, Condition::all());
        return match op {
            CompareOp::Eq => Some(Condition::all().add(some).not()),
            CompareOp::Ne => Some(Condition::all().add(some)),
            _ => None,
        };
    }
    let column = |c: value::Column| Expr::col((Alias::new(LEAF), c));
    let compared: SimpleExpr = match (def.ty, value) {
        (
            AttributeType::String | AttributeType::Reference | AttributeType::Binary,
            CompValue::String(s),
        ) => {
            if !crate::store::storable(s) {
                Expr::val(1).eq(0)
            } else {
                let (text_column, s) = if def.case_exact {
                    (value::Column::TextExact, s.clone())
                } else {
                    (value::Column::TextFolded, s.to_lowercase())
                };
                let like =
                    |pattern: String| column(text_column).like(LikeExpr::new(pattern).escape('\\'));
                match op {
                    CompareOp::Eq => column(text_column).eq(s),
                    CompareOp::Ne => column(text_column).ne(s),
                    CompareOp::Co => like(format!("%{}%", escape(&s))),
                    CompareOp::Sw => like(format!("{}%", escape(&s))),
                    CompareOp::Ew => like(format!("%{}", escape(&s))),
                    // Engines order text by different collations.
                    _ => return None,
                }
            }
        }
        (AttributeType::Boolean, CompValue::Bool(b)) => match op {
            CompareOp::Eq => column(value::Column::BoolValue).eq(*b),
            CompareOp::Ne => column(value::Column::BoolValue).ne(*b),
            _ => return None,
        },
        (AttributeType::Integer | AttributeType::Decimal, CompValue::Number(n)) => ordered(
            column(value::Column::NumValue),
            op,
            n.as_str().parse::<f64>().ok()?,
        )?,
        (AttributeType::DateTime, CompValue::String(s)) => {
            let instant = scim_schema::datetime::parse(s)?;
            let micros = instant.seconds() as f64 * 1e6
                + crate::index::fraction_micros(instant.fraction()) as f64;
            ordered(column(value::Column::NumValue), op, micros)?
        }
        _ => return None,
    };
    Some(Condition::all().add(leaf(scope, key, Condition::all().add(compared))))
}

fn ordered(column: Expr, op: CompareOp, v: f64) -> Option<SimpleExpr> {
    Some(match op {
        CompareOp::Eq => column.eq(v),
        CompareOp::Ne => column.ne(v),
        CompareOp::Gt => column.gt(v),
        CompareOp::Ge => column.gte(v),
        CompareOp::Lt => column.lt(v),
        CompareOp::Le => column.lte(v),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => return None,
    })
}

/// The condition of a value filter on one element of the complex
/// attribute at `key`: its paths are sub-attributes of `parent`.
fn element_condition(filter: &Filter, key: &str, parent: &AttributeDef) -> Option<Condition> {
    Some(match filter {
        Filter::And(a, b) => Condition::all()
            .add(element_condition(a, key, parent)?)
            .add(element_condition(b, key, parent)?),
        Filter::Or(a, b) => Condition::any()
            .add(element_condition(a, key, parent)?)
            .add(element_condition(b, key, parent)?),
        Filter::Not(inner) => element_condition(inner, key, parent)?.not(),
        Filter::Present(path) if path.schema.is_none() && path.sub_attr.is_none() => {
            let sub = parent.sub_attribute(&path.name)?;
            let sub_key = format!("{key}.{}", sub.name.to_lowercase());
            Condition::all().add(present(None, &sub_key, sub))
        }
        Filter::Compare { path, op, value } if path.schema.is_none() && path.sub_attr.is_none() => {
            let sub = parent.sub_attribute(&path.name)?;
            let sub_key = format!("{key}.{}", sub.name.to_lowercase());
            indexed_comparison(None, &sub_key, sub, *op, value)?
        }
        _ => return None,
    })
}

/// Collects the ids of `value eq "id"` filters joined by `or`; false for
/// any other shape.
fn member_ids(filter: &Filter, ids: &mut Vec<String>) -> bool {
    match filter {
        Filter::Or(a, b) => member_ids(a, ids) && member_ids(b, ids),
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(id),
        } if path.schema.is_none()
            && path.sub_attr.is_none()
            && path.name.eq_ignore_ascii_case("value") =>
        {
            ids.push(id.clone());
            true
        }
        _ => false,
    }
}

fn unsupported(filter: &Filter) -> StoreError {
    StoreError::Unsupported(format!("the filter `{filter}`"))
}

fn comparison(t: Target, op: CompareOp, value: &CompValue) -> Option<SimpleExpr> {
    let column = t.column();
    match t {
        Target::Created | Target::LastModified => {
            let CompValue::String(s) = value else {
                return None;
            };
            let instant = scim_schema::datetime::parse(s)?;
            let micros = micros_of(instant.seconds(), instant.fraction())?;
            Some(match op {
                CompareOp::Eq => column.eq(micros),
                CompareOp::Ne => column.ne(micros),
                CompareOp::Gt => column.gt(micros),
                CompareOp::Ge => column.gte(micros),
                CompareOp::Lt => column.lt(micros),
                CompareOp::Le => column.lte(micros),
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => return None,
            })
        }
        Target::Id | Target::UserName | Target::ExternalId | Target::DisplayName => {
            let CompValue::String(s) = value else {
                return None;
            };
            if !crate::store::storable(s) {
                // No stored key holds NUL: equal to nothing, unequal to all.
                return Some(match op {
                    CompareOp::Ne => column.is_not_null(),
                    _ => Expr::val(1).eq(0),
                });
            }
            // userName and displayName are caseExact=false: compare folded values.
            let folded = t.folded();
            let s = if folded { s.to_lowercase() } else { s.clone() };
            // LIKE is case-sensitive on every engine as the store connects
            // (SQLite's case_sensitive_like, MySQL's byte-wise columns):
            // exact on id and externalId, and on the folded columns
            // (userName, displayName) the lowercase literal finds any case.
            Some(match op {
                CompareOp::Eq => column.eq(s),
                CompareOp::Ne => column.ne(s),
                CompareOp::Co => like(column, &format!("%{}%", escape(&s))),
                CompareOp::Sw => like(column, &format!("{}%", escape(&s))),
                CompareOp::Ew => like(column, &format!("%{}", escape(&s))),
                _ => return None,
            })
        }
    }
}

fn like(column: Column, pattern: &str) -> SimpleExpr {
    Expr::col(column).like(LikeExpr::new(pattern).escape('\\'))
}

/// Escapes LIKE's wildcards and the escape character itself.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Microseconds since the epoch; the fraction is truncated to microseconds,
/// the precision timestamps are stored with.
fn micros_of(seconds: i64, fraction: &str) -> Option<i64> {
    let mut digits: String = fraction.chars().take(6).collect();
    while digits.len() < 6 {
        digits.push('0');
    }
    let sub: i64 = digits.parse().ok()?;
    seconds.checked_mul(1_000_000)?.checked_add(sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape("50%_a\\b"), "50\\%\\_a\\\\b");
    }

    #[test]
    fn micros_pad_and_truncate_fractions() {
        assert_eq!(micros_of(1, ""), Some(1_000_000));
        assert_eq!(micros_of(1, "5"), Some(1_500_000));
        assert_eq!(micros_of(1, "1234567"), Some(1_123_456));
        assert_eq!(micros_of(i64::MAX, ""), None);
    }

    #[test]
    fn what_the_database_cannot_order_stays_unsupported() {
        let schemas = Schemas::user();
        let tenant = TenantId("t".to_owned());
        let scope = Scope {
            tenant: &tenant,
            kind: ResourceKind::User,
        };
        let ok = scim_filter::parse(r#"userName eq "A" and not (externalId pr) or meta.lastModified gt "2024-01-01T00:00:00Z" or title eq "x" or emails[type eq "work"] or externalId co "x""#).unwrap();
        assert!(condition(&ok, scope, &schemas).is_ok());
        for membership in [
            r#"groups.value eq "g""#,
            r#"groups eq "g""#,
            r#"groups[value eq "g" or value eq "h"]"#,
        ] {
            let f = scim_filter::parse(membership).unwrap();
            assert!(condition(&f, scope, &schemas).is_ok(), "{membership}");
        }
        for text in [
            r#"title gt "x""#,
            r#"externalId gt "x""#,
            r#"members[value eq "x"]"#,
            r#"meta.resourceType eq "User""#,
            r#"groups.value gt "g""#,
            r#"groups.display eq "Sales""#,
            r#"groups pr"#,
            r#"groups[display eq "Sales"]"#,
        ] {
            let f = scim_filter::parse(text).unwrap();
            assert!(
                matches!(
                    condition(&f, scope, &schemas),
                    Err(StoreError::Unsupported(_))
                ),
                "{text}"
            );
        }
    }
}
