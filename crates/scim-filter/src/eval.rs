//! Schema-aware validation and in-memory evaluation of filters.
//!
//! An [`AttributeResolver`] maps attribute paths to their [`AttributeDef`]s;
//! [`Schemas`] is the implementation over `scim-schema` definitions.
//! [`validate`] checks a filter against the schemas without a resource;
//! [`matches()`] validates, then decides whether a JSON resource matches.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use scim_schema::{AttributeDef, AttributeType, SchemaDef, builtin};
use serde_json::Value;

use crate::ast::{AttrPath, CompValue, CompareOp, Filter, Path};
use crate::error::{Error, ErrorKind, Origin};
use crate::number::{Decimal, Number};
use scim_schema::datetime::{self, Instant};

/// Finds the definition of a top-level attribute.
///
/// Implement it over your own schema registry, or use [`Schemas`].
pub trait AttributeResolver {
    /// Finds the top-level attribute `name` (case-insensitively), in the
    /// schema `schema` if the path has a URN prefix.
    fn resolve(&self, schema: Option<&str>, name: &str) -> Option<ResolvedAttribute<'_>>;

    /// Resolves a whole path, sub-attribute included; fails with
    /// [`ErrorKind::UnknownAttribute`] if any part is not defined.
    ///
    /// Storage adapters use it to learn, for each path of a filter, which
    /// attribute (type, `caseExact`, multi-valuedness) and which extension
    /// object it designates.
    fn resolve_path(&self, path: &AttrPath) -> Result<ResolvedPath<'_>, Error> {
        let unknown = || unknown_attribute(path, Origin::Filter);
        let top = self
            .resolve(path.schema.as_deref(), &path.name)
            .ok_or_else(unknown)?;
        let sub_attribute = match &path.sub_attr {
            None => None,
            Some(sub) => Some(top.attribute.sub_attribute(sub).ok_or_else(unknown)?),
        };
        Ok(ResolvedPath {
            extension: top.extension,
            attribute: top.attribute,
            sub_attribute,
        })
    }
}

/// A top-level attribute found by an [`AttributeResolver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedAttribute<'a> {
    /// The URN of the extension schema whose object holds the attribute in
    /// a resource (`resource[urn][name]`), or `None` for a top-level member
    /// (`resource[name]`): core schema and common attributes.
    pub extension: Option<&'a str>,
    /// The attribute's definition.
    pub attribute: &'a AttributeDef,
}

/// An attribute path resolved against the schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedPath<'a> {
    /// As in [`ResolvedAttribute::extension`].
    pub extension: Option<&'a str>,
    /// The top-level attribute.
    pub attribute: &'a AttributeDef,
    /// The sub-attribute, if the path names one.
    pub sub_attribute: Option<&'a AttributeDef>,
}

impl<'a> ResolvedPath<'a> {
    /// The attribute the path designates: the sub-attribute if there is one.
    pub fn target(&self) -> &'a AttributeDef {
        self.sub_attribute.unwrap_or(self.attribute)
    }
}

/// The schemas of one resource type: a base schema, its extensions, and
/// the common attributes (`id`, `externalId`, `meta`, and `schemas`).
///
/// Resolution is case-insensitive. A path without URN prefix is looked up
/// in the common attributes, the base schema, then the extensions in order
/// (so `employeeNumber` finds the enterprise extension's attribute). A path
/// prefixed with the base schema's URN finds base or common attributes; one
/// prefixed with an extension's URN finds that extension's attributes.
///
/// ```
/// use scim_filter::{AttributeResolver, Schemas, parse};
///
/// let schemas = Schemas::user();
/// let filter = parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"42\"")?;
/// let scim_filter::Filter::Compare { path, .. } = &filter else { unreachable!() };
/// let resolved = schemas.resolve_path(path)?;
/// assert_eq!(resolved.extension, Some(scim_schema::urn::ENTERPRISE_USER));
/// assert_eq!(resolved.target().name, "value");
/// # Ok::<(), scim_filter::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Schemas {
    base: SchemaDef,
    extensions: Vec<SchemaDef>,
    common: Vec<AttributeDef>,
}

impl Schemas {
    /// The schemas of a resource type with base schema `base` and the given
    /// extensions.
    pub fn new(base: SchemaDef, extensions: impl IntoIterator<Item = SchemaDef>) -> Self {
        Schemas {
            base,
            extensions: extensions.into_iter().collect(),
            common: builtin::common_attributes(),
        }
    }

    /// Users: the core User schema with the Enterprise User extension.
    pub fn user() -> Self {
        Schemas::new(builtin::user(), [builtin::enterprise_user()])
    }

    /// Groups: the core Group schema.
    pub fn group() -> Self {
        Schemas::new(builtin::group(), [])
    }

    /// The base schema.
    pub fn base(&self) -> &SchemaDef {
        &self.base
    }

    /// The extension schemas.
    pub fn extensions(&self) -> &[SchemaDef] {
        &self.extensions
    }

    fn common(&self, name: &str) -> Option<&AttributeDef> {
        self.common
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

impl AttributeResolver for Schemas {
    fn resolve(&self, schema: Option<&str>, name: &str) -> Option<ResolvedAttribute<'_>> {
        let top = |attribute| ResolvedAttribute {
            extension: None,
            attribute,
        };
        let in_extension = |ext| in_extension(ext, name);
        match schema {
            None => self
                .common(name)
                .or_else(|| self.base.attribute(name))
                .map(top)
                .or_else(|| self.extensions.iter().find_map(in_extension)),
            Some(urn) if urn.eq_ignore_ascii_case(&self.base.id) => self
                .base
                .attribute(name)
                .or_else(|| self.common(name))
                .map(top),
            Some(urn) => self
                .extensions
                .iter()
                .filter(|ext| ext.id.eq_ignore_ascii_case(urn))
                .find_map(in_extension),
        }
    }
}

fn in_extension<'a>(ext: &'a SchemaDef, name: &str) -> Option<ResolvedAttribute<'a>> {
    ext.attribute(name).map(|attribute| ResolvedAttribute {
        extension: Some(ext.id.as_str()),
        attribute,
    })
}

impl<T: AttributeResolver + ?Sized> AttributeResolver for &T {
    fn resolve(&self, schema: Option<&str>, name: &str) -> Option<ResolvedAttribute<'_>> {
        (**self).resolve(schema, name)
    }
}

fn unknown_attribute(path: impl fmt::Display, origin: Origin) -> Error {
    Error::new(
        ErrorKind::UnknownAttribute {
            path: path.to_string(),
        },
        origin,
    )
}

/// Checks a filter against the schemas: every attribute exists, every
/// operator applies to its attribute's type, every value has the right type.
///
/// Run it before querying storage, to answer `400 invalidFilter` for
/// `foo eq 1` or `active co "x"`; [`matches()`] runs it too.
///
/// ```
/// use scim_filter::{ErrorKind, Schemas, parse, validate};
///
/// let schemas = Schemas::user();
/// assert!(validate(&parse(r#"emails[type eq "work"]"#)?, &schemas).is_ok());
/// let err = validate(&parse("foo eq 1")?, &schemas).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::UnknownAttribute { path } if path == "foo"));
/// let err = validate(&parse(r#"active co "x""#)?, &schemas).unwrap_err();
/// assert!(matches!(err.kind(), ErrorKind::InvalidOperator { .. }));
/// # Ok::<(), scim_filter::Error>(())
/// ```
pub fn validate<R: AttributeResolver + ?Sized>(filter: &Filter, resolver: &R) -> Result<(), Error> {
    check(filter, Scope::Root, resolver, Origin::Filter)
}

/// Checks a PATCH path against the schemas: the attribute exists, a value
/// filter is only applied to a complex attribute and is valid for its
/// sub-attributes, and the trailing sub-attribute exists.
///
/// A path naming a whole extension (see [`AttrPath::as_schema_urn`]) is not
/// an attribute and fails here: check for it first. Errors map to
/// `invalidPath`.
pub fn validate_path<R: AttributeResolver + ?Sized>(
    path: &Path,
    resolver: &R,
) -> Result<(), Error> {
    let origin = Origin::Path;
    let resolved = resolver
        .resolve_path(&path.attr)
        .map_err(|e| e.with_origin(origin))?;
    let target = resolved.target();
    if let Some(filter) = &path.filter {
        complex_target(&path.attr, target, origin)?;
        check(
            filter,
            Scope::Within {
                parent: &path.attr,
                def: target,
            },
            resolver,
            origin,
        )?;
    }
    if let Some(sub) = &path.sub_attr
        && target.sub_attribute(sub).is_none()
    {
        return Err(unknown_attribute(
            format_args!("{}.{sub}", path.attr),
            origin,
        ));
    }
    Ok(())
}

/// Whether `resource` matches `filter`, after [`validate`]-ing the filter.
///
/// The rules (RFC 7644 §3.4.2.2, with the choices the RFC leaves open):
///
/// - attribute names are matched case-insensitively, in the resource too;
///   attributes of an extension are read from the extension's object
///   (`resource["urn:…:enterprise:2.0:User"]["employeeNumber"]`);
/// - a comparison matches if **any** value of the attribute satisfies it
///   (multi-valued attributes, or sub-attributes of a multi-valued complex
///   attribute); an absent or `null` attribute satisfies none, so `ne` does
///   not match absent attributes (write `not (title eq "x")` for that);
/// - a comparison on a complex attribute without sub-attribute compares its
///   `value` sub-attribute (`emails co "@example.com"`);
/// - `eq null` matches when the attribute has no non-null value, `ne null`
///   when it has one;
/// - `pr` matches a non-empty value: not `null`, `""`, `[]`, or an object
///   with no non-empty member;
/// - strings compare case-insensitively (Unicode lower-casing) unless the
///   attribute is `caseExact`; `gt`/`ge`/`lt`/`le` order them by code point;
/// - numbers compare exactly by value, `dateTime`s as instants, `binary`
///   values exactly;
/// - resource values of the wrong JSON type match nothing.
///
/// ```
/// use scim_filter::{Schemas, matches, parse};
/// use serde_json::json;
///
/// let user = json!({
///     "userName": "bjensen",
///     "emails": [{"value": "bjensen@example.com", "type": "work"}],
///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984"}
/// });
/// let schemas = Schemas::user();
/// let yes = |f: &str| matches(&parse(f).unwrap(), &user, &schemas).unwrap();
/// assert!(yes(r#"USERNAME eq "BJensen""#));
/// assert!(yes(r#"emails[type eq "work"].value ew "example.com""#));
/// assert!(yes(r#"employeeNumber eq "701984""#));
/// assert!(!yes("title pr"));
/// ```
pub fn matches<R: AttributeResolver + ?Sized>(
    filter: &Filter,
    resource: &Value,
    resolver: &R,
) -> Result<bool, Error> {
    validate(filter, resolver)?;
    Ok(eval(filter, Ctx::Root(resource), resolver))
}

/// Whether one value `element` of the complex attribute `attr` matches the
/// value filter `filter` (whose paths are sub-attributes of `attr`).
///
/// This is what a PATCH engine needs for `members[value eq "2819c223"]`:
/// which elements of `members` the operation targets.
///
/// ```
/// use scim_filter::{Schemas, matches_element, parse_path};
/// use serde_json::json;
///
/// let path = parse_path(r#"members[value eq "2819c223"]"#)?;
/// let filter = path.filter.as_ref().unwrap();
/// let schemas = Schemas::group();
/// assert!(matches_element(&path.attr, filter, &json!({"value": "2819c223"}), &schemas)?);
/// assert!(!matches_element(&path.attr, filter, &json!({"value": "other"}), &schemas)?);
/// # Ok::<(), scim_filter::Error>(())
/// ```
pub fn matches_element<R: AttributeResolver + ?Sized>(
    attr: &AttrPath,
    filter: &Filter,
    element: &Value,
    resolver: &R,
) -> Result<bool, Error> {
    let resolved = resolver.resolve_path(attr)?;
    let def = resolved.target();
    complex_target(attr, def, Origin::Filter)?;
    check(
        filter,
        Scope::Within { parent: attr, def },
        resolver,
        Origin::Filter,
    )?;
    Ok(eval(filter, Ctx::Within { def, element }, resolver))
}

/// Where the paths of a filter are resolved: against the schemas, or
/// against the sub-attributes of a value path's complex attribute.
#[derive(Clone, Copy)]
enum Scope<'p, 'd> {
    Root,
    Within {
        parent: &'p AttrPath,
        def: &'d AttributeDef,
    },
}

/// Resolves `path` in `scope` to the attribute it designates.
fn scope_target<'d, R: AttributeResolver + ?Sized>(
    path: &AttrPath,
    scope: Scope<'_, 'd>,
    resolver: &'d R,
    origin: Origin,
) -> Result<&'d AttributeDef, Error> {
    match scope {
        Scope::Root => resolver
            .resolve_path(path)
            .map(|r| r.target())
            .map_err(|e| e.with_origin(origin)),
        Scope::Within { parent, def } => within(path, def)
            .ok_or_else(|| unknown_attribute(format_args!("{parent}.{path}"), origin)),
    }
}

/// The sub-attribute of `parent` a path inside a value filter names.
fn within<'d>(path: &AttrPath, parent: &'d AttributeDef) -> Option<&'d AttributeDef> {
    if path.schema.is_some() || path.sub_attr.is_some() {
        return None;
    }
    parent.sub_attribute(&path.name)
}

fn complex_target(attr: &AttrPath, def: &AttributeDef, origin: Origin) -> Result<(), Error> {
    if def.ty == AttributeType::Complex {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::TypeMismatch {
                path: attr.to_string(),
                expected: "a value filter only on a complex attribute".to_owned(),
            },
            origin,
        ))
    }
}

/// The validation walk. The left operand of `and`/`or` and the operand of
/// `not` are followed with a loop; right operands and value filters recurse,
/// so the recursion depth is bounded by the nesting of parentheses and
/// brackets.
fn check<R: AttributeResolver + ?Sized>(
    filter: &Filter,
    scope: Scope<'_, '_>,
    resolver: &R,
    origin: Origin,
) -> Result<(), Error> {
    let mut node = filter;
    loop {
        match node {
            Filter::And(l, r) | Filter::Or(l, r) => {
                check(r, scope, resolver, origin)?;
                node = l;
            }
            Filter::Not(inner) => node = inner,
            Filter::Present(path) => {
                scope_target(path, scope, resolver, origin)?;
                return Ok(());
            }
            Filter::Compare { path, op, value } => {
                let def = scope_target(path, scope, resolver, origin)?;
                return check_comparison(def, path, *op, value, origin);
            }
            Filter::ValuePath { attr, filter } => {
                let Scope::Root = scope else {
                    return Err(Error::new(
                        ErrorKind::TypeMismatch {
                            path: attr.to_string(),
                            expected: "a sub-attribute (value paths cannot nest)".to_owned(),
                        },
                        origin,
                    ));
                };
                let resolved = resolver
                    .resolve_path(attr)
                    .map_err(|e| e.with_origin(origin))?;
                let def = resolved.target();
                complex_target(attr, def, origin)?;
                return check(
                    filter,
                    Scope::Within { parent: attr, def },
                    resolver,
                    origin,
                );
            }
        }
    }
}

/// The attribute a comparison reads: the attribute itself, or the `value`
/// sub-attribute of a complex attribute.
fn compared_def(def: &AttributeDef) -> Option<&AttributeDef> {
    if def.ty == AttributeType::Complex {
        def.sub_attribute("value")
            .filter(|v| v.ty != AttributeType::Complex)
    } else {
        Some(def)
    }
}

fn check_comparison(
    def: &AttributeDef,
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
    origin: Origin,
) -> Result<(), Error> {
    let invalid = |reason: &str| {
        Err(Error::new(
            ErrorKind::InvalidOperator {
                path: path.to_string(),
                op,
                reason: reason.to_owned(),
            },
            origin,
        ))
    };
    if *value == CompValue::Null {
        return if matches!(op, CompareOp::Eq | CompareOp::Ne) {
            Ok(())
        } else {
            invalid("only `eq` and `ne` compare with null")
        };
    }
    let Some(def) = compared_def(def) else {
        return invalid(
            "it is complex and has no `value` sub-attribute; use `pr` or a sub-attribute",
        );
    };
    use AttributeType as T;
    match def.ty {
        T::Boolean if op != CompareOp::Eq && op != CompareOp::Ne => {
            return invalid("booleans support only `eq` and `ne`");
        }
        T::Binary if op != CompareOp::Eq && op != CompareOp::Ne => {
            return invalid("binary values support only `eq` and `ne`");
        }
        T::Integer | T::Decimal | T::DateTime if op.is_substring() => {
            return invalid("`co`, `sw` and `ew` apply to strings only");
        }
        _ => {}
    }
    let (fits, expected) = match (def.ty, value) {
        (T::String | T::Reference | T::Binary, CompValue::String(_)) => (true, ""),
        (T::String | T::Reference | T::Binary, _) => (false, "a string"),
        (T::Boolean, v) => (matches!(v, CompValue::Bool(_)), "`true` or `false`"),
        (T::Integer | T::Decimal, v) => (matches!(v, CompValue::Number(_)), "a number"),
        (T::DateTime, v) => (
            matches!(v, CompValue::String(s) if datetime::parse(s).is_some()),
            "an RFC 3339 dateTime string, e.g. \"2011-05-13T04:42:34Z\"",
        ),
        (T::Complex, _) => (false, "a simple value"),
    };
    if fits {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::TypeMismatch {
                path: path.to_string(),
                expected: expected.to_owned(),
            },
            origin,
        ))
    }
}

/// What a filter is evaluated against.
#[derive(Clone, Copy)]
enum Ctx<'v, 'd> {
    /// A whole resource.
    Root(&'v Value),
    /// One value of a complex attribute, inside a value path.
    Within {
        def: &'d AttributeDef,
        element: &'v Value,
    },
}

/// Evaluates a validated filter. The left spine of `and`/`or` chains and
/// `not` are followed with a loop (with a negation flag), so the recursion
/// depth is bounded by the nesting of parentheses and value paths.
fn eval<R: AttributeResolver + ?Sized>(filter: &Filter, ctx: Ctx<'_, '_>, resolver: &R) -> bool {
    let mut node = filter;
    let mut negate = false;
    loop {
        match node {
            Filter::And(l, r) => {
                if !eval(r, ctx, resolver) {
                    return negate;
                }
                node = l;
            }
            Filter::Or(l, r) => {
                if eval(r, ctx, resolver) {
                    return !negate;
                }
                node = l;
            }
            Filter::Not(inner) => {
                negate = !negate;
                node = inner;
            }
            Filter::Present(path) => {
                return negate
                    ^ locate(path, ctx, resolver).is_some_and(|at| at.any(&mut is_non_empty));
            }
            Filter::Compare { path, op, value } => {
                return negate
                    ^ locate(path, ctx, resolver).is_some_and(|at| compare(&at, *op, value));
            }
            Filter::ValuePath { attr, filter } => {
                let Ctx::Root(_) = ctx else {
                    return negate;
                };
                let found = locate(attr, ctx, resolver).is_some_and(|at| {
                    let def = at.def;
                    at.any(&mut |element| eval(filter, Ctx::Within { def, element }, resolver))
                });
                return negate ^ found;
            }
        }
    }
}

/// Where an attribute's values are in a resource.
struct Located<'v, 'd> {
    /// The attribute designated by the path.
    def: &'d AttributeDef,
    /// The top-level (or, within a value path, sub-attribute) member.
    member: Option<&'v Value>,
    /// The sub-attribute to step into from each value of `member`.
    sub: Option<&'d str>,
}

impl<'v> Located<'v, '_> {
    /// Whether `pred` holds for some non-null value; `extra` is one more
    /// sub-attribute to step into.
    fn any_with(&self, extra: Option<&str>, pred: &mut dyn FnMut(&'v Value) -> bool) -> bool {
        let steps = [self.sub, extra];
        any_value(self.member, &steps, pred)
    }

    fn any(&self, pred: &mut dyn FnMut(&'v Value) -> bool) -> bool {
        self.any_with(None, pred)
    }
}

fn locate<'v, 'd, R: AttributeResolver + ?Sized>(
    path: &AttrPath,
    ctx: Ctx<'v, 'd>,
    resolver: &'d R,
) -> Option<Located<'v, 'd>> {
    match ctx {
        Ctx::Root(resource) => {
            let resolved = resolver.resolve_path(path).ok()?;
            let container = match resolved.extension {
                Some(urn) => get_ci(resource, urn),
                None => Some(resource),
            };
            Some(Located {
                def: resolved.target(),
                member: container.and_then(|c| get_ci(c, &resolved.attribute.name)),
                sub: resolved.sub_attribute.map(|s| s.name.as_str()),
            })
        }
        Ctx::Within { def, element } => {
            let sub = within(path, def)?;
            Some(Located {
                def: sub,
                member: get_ci(element, &sub.name),
                sub: None,
            })
        }
    }
}

/// Looks up `name` in an object: exact match first, then ASCII
/// case-insensitive (SCIM names are ASCII).
fn get_ci<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    let object = value.as_object()?;
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Whether `pred` holds for some non-null value reached from `value` by
/// the `steps` (sub-attribute names; `None` steps are skipped), looking into
/// arrays at each level (but not into arrays of arrays).
fn any_value<'v>(
    value: Option<&'v Value>,
    steps: &[Option<&str>],
    pred: &mut dyn FnMut(&'v Value) -> bool,
) -> bool {
    let Some(value) = value else {
        return false;
    };
    let one = |v: &'v Value, pred: &mut dyn FnMut(&'v Value) -> bool| match steps.split_first() {
        None => !v.is_null() && pred(v),
        Some((None, rest)) => any_value(Some(v), rest, pred),
        Some((Some(step), rest)) => any_value(get_ci(v, step), rest, pred),
    };
    match value {
        Value::Array(items) => items
            .iter()
            .filter(|item| !item.is_array())
            .any(|item| one(item, pred)),
        v => one(v, pred),
    }
}

/// RFC 7644 §3.4.2.2 `pr`: a non-empty value, or a complex value with a
/// non-empty node. Walks nested values with an explicit stack.
fn is_non_empty(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Null => {}
            Value::String(s) => {
                if !s.is_empty() {
                    return true;
                }
            }
            Value::Bool(_) | Value::Number(_) => return true,
            Value::Array(items) => stack.extend(items),
            Value::Object(members) => stack.extend(members.values()),
        }
    }
    false
}

/// Lower-cases for case-insensitive comparison: Unicode lower case per
/// character, with final sigma folded to sigma.
fn fold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    } else {
        Cow::Owned(
            s.chars()
                .flat_map(char::to_lowercase)
                .map(|c| if c == 'ς' { 'σ' } else { c })
                .collect(),
        )
    }
}

fn ordering_holds(ord: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// The filter literal, prepared once for comparison with each value.
enum Literal<'a> {
    Text {
        text: Cow<'a, str>,
        case_exact: bool,
    },
    Bool(bool),
    Number(&'a Number),
    Time(Instant<'a>),
}

fn compare(at: &Located<'_, '_>, op: CompareOp, value: &CompValue) -> bool {
    if *value == CompValue::Null {
        let present = at.any(&mut |_| true);
        return if op == CompareOp::Eq {
            !present
        } else {
            present
        };
    }
    // A complex attribute compares through its `value` sub-attribute.
    let (def, extra) = match compared_def(at.def) {
        Some(d) if at.def.ty == AttributeType::Complex => (d, Some("value")),
        Some(d) => (d, None),
        None => return false,
    };
    let literal = match (def.ty, value) {
        (AttributeType::DateTime, CompValue::String(s)) => match datetime::parse(s) {
            Some(t) => Literal::Time(t),
            None => return false,
        },
        (AttributeType::Binary, CompValue::String(s)) => Literal::Text {
            text: Cow::Borrowed(s),
            case_exact: true,
        },
        (_, CompValue::String(s)) if def.case_exact => Literal::Text {
            text: Cow::Borrowed(s),
            case_exact: true,
        },
        (_, CompValue::String(s)) => Literal::Text {
            text: fold(s),
            case_exact: false,
        },
        (_, CompValue::Bool(b)) => Literal::Bool(*b),
        (_, CompValue::Number(n)) => Literal::Number(n),
        (_, CompValue::Null) => return false,
    };
    at.any_with(extra, &mut |v| compare_one(v, op, &literal))
}

fn compare_one(value: &Value, op: CompareOp, literal: &Literal<'_>) -> bool {
    match (literal, value) {
        (Literal::Text { text, case_exact }, Value::String(s)) => {
            let s = if *case_exact {
                Cow::Borrowed(s.as_str())
            } else {
                fold(s)
            };
            match op {
                CompareOp::Co => s.contains(text.as_ref()),
                CompareOp::Sw => s.starts_with(text.as_ref()),
                CompareOp::Ew => s.ends_with(text.as_ref()),
                _ => ordering_holds(s.as_ref().cmp(text.as_ref()), op),
            }
        }
        (Literal::Bool(b), Value::Bool(v)) => {
            matches!(op, CompareOp::Eq | CompareOp::Ne) && ordering_holds(v.cmp(b), op)
        }
        (Literal::Number(n), Value::Number(v)) => {
            let ord = match (n.as_i64(), v.as_i64()) {
                (Some(a), Some(b)) => b.cmp(&a),
                _ => {
                    let text = v.to_string();
                    match (Decimal::parse(&text), Decimal::parse(n.as_str())) {
                        (Some(b), Some(a)) => b.cmp(&a),
                        _ => return false,
                    }
                }
            };
            ordering_holds(ord, op)
        }
        (Literal::Time(t), Value::String(s)) => {
            datetime::parse(s).is_some_and(|v| ordering_holds(v.cmp(t), op))
        }
        _ => false,
    }
}
