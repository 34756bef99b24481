//! Translation of SCIM filters and sorts into SQL conditions.
//!
//! Every query runs in the database: what cannot be translated is reported
//! as `StoreError::Unsupported`, never evaluated in memory. Today the
//! attributes with their own indexed columns are translated (`id`,
//! `userName`, `externalId`, `displayName`, `meta.created`,
//! `meta.lastModified`) and a group's `members[value eq "id"]` (through the
//! membership table), combined with `and`, `or` and `not`.

use scim_core::ResourceKind;
use scim_core::ports::StoreError;
use scim_filter::{AttrPath, AttributeResolver, CompValue, CompareOp, Filter, Schemas};
use sea_orm::sea_query::{Expr, LikeExpr, Query, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, ExprTrait};

use crate::entity::resource::Column;
use crate::entity::{member, resource};

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

/// The SQL condition equivalent to `filter`.
pub(crate) fn condition(
    filter: &Filter,
    kind: ResourceKind,
    schemas: &Schemas,
) -> Result<Condition, StoreError> {
    Ok(match filter {
        Filter::And(a, b) => Condition::all()
            .add(condition(a, kind, schemas)?)
            .add(condition(b, kind, schemas)?),
        Filter::Or(a, b) => Condition::any()
            .add(condition(a, kind, schemas)?)
            .add(condition(b, kind, schemas)?),
        Filter::Not(inner) => condition(inner, kind, schemas)?.not(),
        Filter::Present(path) => match target(path, kind, schemas) {
            Some(t) => Condition::all().add(t.column().is_not_null()),
            None => return Err(unsupported(filter)),
        },
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
            let is_members = kind == ResourceKind::Group
                && attr.sub_attr.is_none()
                && schemas
                    .resolve_path(attr)
                    .is_ok_and(|r| r.extension.is_none() && r.attribute.name == "members");
            let mut ids = Vec::new();
            if !is_members || !member_ids(inner, &mut ids) {
                return Err(unsupported(filter));
            }
            ids.retain(|id| crate::store::storable(id));
            if ids.is_empty() {
                return Ok(Condition::all().add(Expr::val(1).eq(0)));
            }
            // `members[value eq "id"]`: how Entra ID checks one membership
            // without reading a group's members. Answered by the
            // (group, member) index.
            let subquery = Query::select()
                .expr(Expr::val(1))
                .from(member::Entity)
                .and_where(
                    Expr::col((member::Entity, member::Column::GroupId))
                        .equals((resource::Entity, Column::Id)),
                )
                .and_where(Expr::col((member::Entity, member::Column::MemberId)).is_in(ids))
                .to_owned();
            Condition::all().add(Expr::exists(subquery))
        }
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
            Some(match op {
                CompareOp::Eq => column.eq(s),
                CompareOp::Ne => column.ne(s),
                // Pattern matching only on the folded column, whose values
                // are lowercase on every engine, whatever LIKE's case rules.
                CompareOp::Co if t == Target::UserName => {
                    like(column, &format!("%{}%", escape(&s)))
                }
                CompareOp::Sw if t == Target::UserName => like(column, &format!("{}%", escape(&s))),
                CompareOp::Ew if t == Target::UserName => like(column, &format!("%{}", escape(&s))),
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
    fn only_columned_attributes_translate() {
        let schemas = Schemas::user();
        let ok = scim_filter::parse(r#"userName eq "A" and not (externalId pr) or meta.lastModified gt "2024-01-01T00:00:00Z""#).unwrap();
        assert!(condition(&ok, ResourceKind::User, &schemas).is_ok());
        for text in [
            r#"title eq "x""#,
            r#"emails[type eq "work"]"#,
            r#"externalId co "x""#,
        ] {
            let f = scim_filter::parse(text).unwrap();
            assert!(
                matches!(
                    condition(&f, ResourceKind::User, &schemas),
                    Err(StoreError::Unsupported(_))
                ),
                "{text}"
            );
        }
    }
}
