//! The PATCH engine: each operation is normalised into RFC 7644 form and
//! applied to a working copy of the resource.
//!
//! Every operation ends up as "compute the new value of one top-level
//! attribute from its old value, check the change against the attribute's
//! mutability, store it". A path-less `add`/`replace` is one such operation
//! per key of its value; a path naming a whole schema
//! (`urn:…:enterprise:2.0:User`) is one per attribute of that schema.

use std::collections::HashSet;

use scim_filter::{
    AttrPath, CompValue, CompareOp, Filter, Path, matches_element, parse_path, validate_path,
};
use scim_schema::{
    AttributeDef, AttributeType, Mutability, PatchOperation, ResourceType, SchemaDef, Strictness,
};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::model::{Member, MemberChange, Options};
use crate::resolver::Resolver;
use crate::value::{Normalizer, check_required, get_ci, member_ci, put_ci, take_object_ci};

/// An operation name, read case-insensitively (Entra ID sends `Add`,
/// `Replace`, `Remove`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Replace,
}

impl Op {
    fn parse(name: &str) -> Result<Op, Error> {
        if name.eq_ignore_ascii_case("add") {
            Ok(Op::Add)
        } else if name.eq_ignore_ascii_case("remove") {
            Ok(Op::Remove)
        } else if name.eq_ignore_ascii_case("replace") {
            Ok(Op::Replace)
        } else {
            Err(Error::syntax(format!(
                "unknown op `{name}`: expected `add`, `remove` or `replace`"
            )))
        }
    }

    fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Remove => "remove",
            Op::Replace => "replace",
        }
    }
}

/// The attribute an operation path designates, resolved against the
/// resource type.
struct Target<'a, 'p> {
    /// The parsed path.
    path: &'p Path,
    /// The path as the client wrote it, for messages.
    label: String,
    /// The extension whose object holds the attribute; `None` for a
    /// top-level member of the resource.
    extension: Option<&'a str>,
    /// The top-level attribute.
    attr: &'a AttributeDef,
    /// The sub-attribute of `name.sub` (no value filter).
    sub: Option<&'a AttributeDef>,
    /// The sub-attribute of `attr[filter].sub`.
    filter_sub: Option<&'a AttributeDef>,
}

/// The state of one PATCH request: the working copy of the resource and
/// what has been learnt along the way.
pub(crate) struct Engine<'a> {
    rt: &'a ResourceType,
    norm: Normalizer,
    extract_members: bool,
    doc: Map<String, Value>,
    /// Extensions whose attributes were written, whose presence in
    /// `schemas` must be brought up to date at the end.
    touched: Vec<&'a str>,
    members: Vec<MemberChange>,
}

impl<'a> Engine<'a> {
    pub(crate) fn new(rt: &'a ResourceType, options: &Options, doc: Map<String, Value>) -> Self {
        Engine {
            rt,
            norm: Normalizer {
                strictness: options.strictness,
            },
            extract_members: options.extract_members,
            doc,
            touched: Vec::new(),
            members: Vec::new(),
        }
    }

    /// Applies the operations in order; the first failure stops everything
    /// and carries the index of its operation.
    pub(crate) fn run(&mut self, ops: &[PatchOperation]) -> Result<(), Error> {
        for (i, op) in ops.iter().enumerate() {
            self.operation(op).map_err(|e| e.at(i))?;
        }
        self.fix_schemas();
        Ok(())
    }

    /// The patched document and the membership changes.
    pub(crate) fn finish(self) -> (Map<String, Value>, Vec<MemberChange>) {
        (self.doc, self.members)
    }

    fn operation(&mut self, op: &PatchOperation) -> Result<(), Error> {
        let kind = Op::parse(&op.op)?;
        match &op.path {
            // RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation
            // fails with HTTP status code 400 and a "scimType" error code
            // of "noTarget"."
            None if kind == Op::Remove => Err(Error::no_target(
                "`remove` needs a `path` (RFC 7644 §3.5.2.2)",
            )),
            None => {
                let Some(value) = op.value.clone() else {
                    return Err(missing_value(kind));
                };
                let Value::Object(attributes) = value else {
                    return Err(Error::value(format!(
                        "`{}` without a `path` needs an object of attributes as `value`",
                        kind.name()
                    )));
                };
                self.attributes(kind, None, attributes)
            }
            Some(text) => {
                if kind != Op::Remove && op.value.is_none() {
                    return Err(missing_value(kind));
                }
                let path = parse_path(text)
                    .map_err(|e| Error::path(format!("invalid path `{text}`: {e}")))?;
                if unassigns(kind, op.value.as_ref()) {
                    self.refuse_read_only(&path, text)?;
                }
                self.at_path(kind, &path, text, op.value.clone())
            }
        }
    }

    /// RFC 7644 §3.5.2.2: removing or unassigning a read-only attribute is
    /// a `mutability` error, even one the stored document does not hold
    /// (`meta`, `groups`: they are rendered, not stored), so that the
    /// client learns the change did not happen.
    fn refuse_read_only(&self, path: &Path, label: &str) -> Result<(), Error> {
        if path.filter.is_none()
            && path.sub_attr.is_none()
            && self.whole_schema(&path.attr).is_some()
        {
            return Ok(());
        }
        let Ok(target) = self.resolve(path, label) else {
            // Unknown paths get their own error from the operation itself.
            return Ok(());
        };
        let read_only = |def: &AttributeDef| def.mutability == Mutability::ReadOnly;
        if read_only(target.attr)
            || target.sub.is_some_and(read_only)
            || target.filter_sub.is_some_and(read_only)
        {
            return Err(Error::mutability(format!(
                "`{label}` is readOnly and cannot be removed"
            )));
        }
        Ok(())
    }

    /// The attributes of a path-less value (`within` is `None`), or of the
    /// value of a path naming a whole schema: each key is read as a path
    /// (`userName`, `name.givenName`, `urn:…:User:department`, an
    /// extension URN), relative to that schema if there is one. `schemas`
    /// keys are skipped: `schemas` follows the attributes present.
    fn attributes(
        &mut self,
        kind: Op,
        within: Option<&'a str>,
        attributes: Map<String, Value>,
    ) -> Result<(), Error> {
        for (key, value) in attributes {
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            let mut path = parse_path(&key)
                .map_err(|e| Error::path(format!("invalid attribute name `{key}`: {e}")))?;
            let label = match within {
                None => key,
                Some(id) => {
                    match &path.attr.schema {
                        None => path.attr.schema = Some(id.to_owned()),
                        Some(schema) if schema.eq_ignore_ascii_case(id) => {}
                        Some(_) => {
                            return Err(Error::path(format!(
                                "`{key}` is not an attribute of {id}"
                            )));
                        }
                    }
                    format!("{id}:{key}")
                }
            };
            self.at_path(kind, &path, &label, Some(value))?;
        }
        Ok(())
    }

    fn at_path(
        &mut self,
        kind: Op,
        path: &Path,
        label: &str,
        value: Option<Value>,
    ) -> Result<(), Error> {
        if path.filter.is_none()
            && path.sub_attr.is_none()
            && let Some((schema, extension)) = self.whole_schema(&path.attr)
        {
            return self.schema_op(kind, schema, extension, label, value);
        }
        let target = self.resolve(path, label)?;
        if self.extract_members && self.is_members(&target) {
            return self.members_op(kind, &target, value);
        }
        self.attribute_op(kind, &target, value)
    }

    /// If `attr` names a whole schema of the resource type (the
    /// grammar reads `urn:…:enterprise:2.0:User` as the attribute `User` of
    /// schema `urn:…:enterprise:2.0`), that schema and its extension URN.
    fn whole_schema(&self, attr: &AttrPath) -> Option<(&'a SchemaDef, Option<&'a str>)> {
        let urn = attr.as_schema_urn()?;
        if let Some(ext) = self.rt.extension(&urn) {
            return Some((&ext.schema, Some(ext.schema.id.as_str())));
        }
        self.rt
            .schema
            .id
            .eq_ignore_ascii_case(&urn)
            .then_some((&self.rt.schema, None))
    }

    /// An operation on a whole schema: `add`/`replace` of each attribute in
    /// the value, or `remove` of every attribute the resource has.
    fn schema_op(
        &mut self,
        kind: Op,
        schema: &'a SchemaDef,
        extension: Option<&'a str>,
        label: &str,
        value: Option<Value>,
    ) -> Result<(), Error> {
        match (kind, value) {
            (Op::Remove, _) | (Op::Replace, Some(Value::Null)) => {
                for def in &schema.attributes {
                    if self.current(extension, &def.name).is_none() {
                        continue;
                    }
                    let path = Path {
                        attr: AttrPath::new(def.name.clone()).with_schema(schema.id.clone()),
                        filter: None,
                        sub_attr: None,
                    };
                    let label = format!("{}:{}", schema.id, def.name);
                    self.at_path(Op::Remove, &path, &label, None)?;
                }
                Ok(())
            }
            (_, Some(Value::Object(attributes))) => {
                self.attributes(kind, Some(schema.id.as_str()), attributes)
            }
            (_, Some(Value::Null)) => Ok(()),
            _ => Err(Error::value(format!(
                "`{label}` names a whole schema: its value must be an object of its attributes"
            ))),
        }
    }

    fn resolve<'p>(&self, path: &'p Path, label: &str) -> Result<Target<'a, 'p>, Error> {
        let unknown = || Error::path(format!("unknown attribute `{}`", path.attr));
        let (extension, attr) = Resolver(self.rt)
            .lookup(path.attr.schema.as_deref(), &path.attr.name)
            .ok_or_else(unknown)?;
        if extension.is_none() && attr.name.eq_ignore_ascii_case("schemas") {
            return Err(Error::mutability(
                "`schemas` is maintained by the service provider from the attributes present",
            ));
        }
        let sub = match &path.attr.sub_attr {
            None => None,
            Some(name) => Some(attr.sub_attribute(name).ok_or_else(unknown)?),
        };
        let mut filter_sub = None;
        if path.filter.is_some() {
            if sub.is_some() || attr.ty != AttributeType::Complex || !attr.multi_valued {
                return Err(Error::path(format!(
                    "`{label}`: a value filter applies only to a multi-valued complex attribute"
                )));
            }
            if let Some(name) = &path.sub_attr {
                filter_sub = Some(attr.sub_attribute(name).ok_or_else(|| {
                    Error::path(format!("unknown attribute `{}.{name}`", path.attr))
                })?);
            }
            // The attribute and the trailing sub-attribute exist: what is
            // left to fail is the filter. RFC 7644 §3.12 lists
            // `invalidFilter` for "PATCH (Path Filter)".
            validate_path(path, &Resolver(self.rt))
                .map_err(|e| Error::filter(format!("invalid value filter in `{label}`: {e}")))?;
        }
        Ok(Target {
            path,
            label: label.to_owned(),
            extension,
            attr,
            sub,
            filter_sub,
        })
    }

    /// The current value of a top-level attribute (`null` reads as absent).
    fn current(&self, extension: Option<&str>, name: &str) -> Option<&Value> {
        let container = match extension {
            None => &self.doc,
            Some(id) => get_ci(&self.doc, id)?.as_object()?,
        };
        get_ci(container, name).filter(|v| !v.is_null())
    }

    fn attribute_op(
        &mut self,
        kind: Op,
        target: &Target<'a, '_>,
        value: Option<Value>,
    ) -> Result<(), Error> {
        let old = self.current(target.extension, &target.attr.name);
        let new = self.compute(kind, target, old.cloned(), value)?;
        let old = self.current(target.extension, &target.attr.name);
        if new.as_ref() == old {
            return Ok(());
        }
        check_mutability(target.attr, old, new.as_ref(), &target.attr.name)?;
        self.store(target.extension, &target.attr.name, new);
        Ok(())
    }

    /// Writes a top-level attribute under its canonical name (`None`
    /// removes it), in its extension's object if it has one.
    fn store(&mut self, extension: Option<&'a str>, name: &str, value: Option<Value>) {
        match extension {
            None => put_ci(&mut self.doc, name, value),
            Some(id) => {
                let mut container = take_object_ci(&mut self.doc, id);
                put_ci(&mut container, name, value);
                if !container.is_empty() {
                    self.doc.insert(id.to_owned(), Value::Object(container));
                }
                if !self.touched.contains(&id) {
                    self.touched.push(id);
                }
            }
        }
    }

    /// The new value of the target's top-level attribute.
    fn compute(
        &self,
        kind: Op,
        target: &Target<'a, '_>,
        old: Option<Value>,
        value: Option<Value>,
    ) -> Result<Option<Value>, Error> {
        match (&target.path.filter, target.sub) {
            (Some(filter), _) => self.filtered(kind, target, filter, old, value),
            (None, Some(sub)) => self.sub_attribute(kind, target.attr, sub, old, value, target),
            (None, None) => self.whole(kind, target.attr, old, value, &target.label),
        }
    }

    /// An operation on a whole attribute (or on one sub-attribute of one
    /// complex value, when `def` is a sub-attribute).
    fn whole(
        &self,
        kind: Op,
        def: &AttributeDef,
        old: Option<Value>,
        value: Option<Value>,
        label: &str,
    ) -> Result<Option<Value>, Error> {
        if kind == Op::Remove {
            return match value {
                // Entra ID removes group members with
                // `{"op":"Remove","path":"members","value":[{"value":"id"}]}`:
                // only the values given go.
                Some(value) if def.multi_valued && !value.is_null() => {
                    let gone = self.norm.values(def, value, label)?;
                    let mut list = as_list(old);
                    list.retain(|e| !gone.iter().any(|g| covers(def, g, e)));
                    Ok(list_or_none(list))
                }
                // RFC 7644 §3.5.2.2: the attribute and all its values are
                // removed. A value sent with it is ignored (Entra ID sends
                // the old manager when removing `manager`).
                _ => Ok(None),
            };
        }
        let value = value.unwrap_or(Value::Null);
        if def.multi_valued {
            let items = self.norm.values(def, value, label)?;
            let (mut list, written) = if kind == Op::Add {
                // RFC 7644 §3.5.2.1: a new value is added; one already
                // there is not added twice.
                let mut list = as_list(old);
                let mut written = Vec::new();
                for item in items {
                    if !list.iter().any(|e| covers(def, &item, e)) {
                        written.push(list.len());
                        list.push(item);
                    }
                }
                (list, written)
            } else {
                // RFC 7644 §3.5.2.3: "the attribute and all values are
                // replaced".
                let written = (0..items.len()).collect();
                (items, written)
            };
            enforce_primary(def, &mut list, &written, label)?;
            return Ok(list_or_none(list));
        }
        match self.norm.single(def, value, label)? {
            // `null` is unassigned (RFC 7643 §2.5): replacing with it
            // removes, adding it adds nothing.
            Value::Null if kind == Op::Add => Ok(old),
            Value::Null => Ok(None),
            // RFC 7644 §3.5.2.1 and §3.5.2.3: sub-attributes given are set,
            // "Sub-attributes that are not specified in the "value"
            // parameter are left unchanged".
            Value::Object(fields) if def.ty == AttributeType::Complex => {
                let mut object = match old {
                    Some(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                merge(def, &mut object, fields, label)?;
                if !object.is_empty() {
                    check_required(def, &object, label)?;
                }
                Ok(object_or_none(object))
            }
            v => Ok(Some(v)),
        }
    }

    /// `name.givenName` (single-valued) or `emails.display` (multi-valued:
    /// every value).
    fn sub_attribute(
        &self,
        kind: Op,
        def: &AttributeDef,
        sub: &AttributeDef,
        old: Option<Value>,
        value: Option<Value>,
        target: &Target<'a, '_>,
    ) -> Result<Option<Value>, Error> {
        let label = &target.label;
        if !def.multi_valued {
            let mut object = match old {
                Some(Value::Object(o)) => o,
                _ => Map::new(),
            };
            self.set_sub(kind, sub, &mut object, value, label)?;
            if !object.is_empty() {
                check_required(def, &object, &def.name)?;
            }
            return Ok(object_or_none(object));
        }
        let mut list = as_list(old);
        let mut created = false;
        if list.is_empty() {
            if kind == Op::Remove {
                return Ok(None);
            }
            list.push(Value::Object(Map::new()));
            created = true;
        }
        let mut written = Vec::new();
        for (i, element) in list.iter_mut().enumerate() {
            if let Value::Object(object) = element {
                self.set_sub(kind, sub, object, value.clone(), label)?;
                if created {
                    check_required(def, object, &def.name)?;
                }
                written.push(i);
            }
        }
        enforce_primary(def, &mut list, &written, &def.name)?;
        list.retain(|e| !is_empty_object(e));
        Ok(list_or_none(list))
    }

    /// Applies the operation to sub-attribute `sub` of one complex value.
    fn set_sub(
        &self,
        kind: Op,
        sub: &AttributeDef,
        object: &mut Map<String, Value>,
        value: Option<Value>,
        label: &str,
    ) -> Result<(), Error> {
        let old = get_ci(object, &sub.name).filter(|v| !v.is_null()).cloned();
        let new = self.whole(kind, sub, old.clone(), value, label)?;
        if new != old {
            check_mutability(sub, old.as_ref(), new.as_ref(), label)?;
            put_ci(object, &sub.name, new);
        }
        Ok(())
    }

    /// `emails[type eq "work"]` and `emails[type eq "work"].value`.
    fn filtered(
        &self,
        kind: Op,
        target: &Target<'a, '_>,
        filter: &Filter,
        old: Option<Value>,
        value: Option<Value>,
    ) -> Result<Option<Value>, Error> {
        let def = target.attr;
        let label = target.label.as_str();
        let resolver = Resolver(self.rt);
        let matches = |element: &Value| {
            matches_element(&target.path.attr, filter, element, &resolver)
                .map_err(|e| Error::filter(format!("invalid value filter in `{label}`: {e}")))
        };
        let mut list = as_list(old);
        let mut matched = Vec::new();
        for (i, element) in list.iter().enumerate() {
            if matches(element)? {
                matched.push(i);
            }
        }

        if kind == Op::Remove {
            // RFC 7644 §3.5.2.2: the matching values (or their
            // sub-attribute) are removed, and the attribute when none
            // remains. Nothing matching is a successful no-op.
            if matched.is_empty() {
                return Ok(list_or_none(list));
            }
            match target.filter_sub {
                None => {
                    let mut i = 0;
                    list.retain(|_| {
                        let keep = !matched.contains(&i);
                        i += 1;
                        keep
                    });
                }
                Some(sub) => {
                    for &i in &matched {
                        if let Some(Value::Object(object)) = list.get_mut(i) {
                            self.set_sub(Op::Remove, sub, object, None, label)?;
                        }
                    }
                    list.retain(|e| !is_empty_object(e));
                }
            }
            return Ok(list_or_none(list));
        }

        let value = value.unwrap_or(Value::Null);
        let written = if matched.is_empty() {
            // RFC 7644 §3.5.2.3: a `replace` whose filter matches nothing
            // fails with `noTarget`. Entra ID sends `add` (and `replace`)
            // of `emails[type eq "work"].value` for users without a work
            // email and expects the value to be created: for `add`, and for
            // `replace` of a sub-attribute, a filter made only of
            // `sub eq literal` joined with `and` creates the value it
            // describes.
            let creatable = kind == Op::Add || target.filter_sub.is_some();
            let template = if creatable {
                self.template(def, filter)
            } else {
                None
            };
            let Some(mut element) = template else {
                return Err(Error::no_target(format!(
                    "no value of `{}` matches `{label}`",
                    def.name
                )));
            };
            match target.filter_sub {
                Some(sub) => self.set_sub(Op::Add, sub, &mut element, Some(value), label)?,
                None => {
                    let fields = self.element_fields(def, value, label)?;
                    merge(def, &mut element, fields, label)?;
                }
            }
            check_required(def, &element, &def.name)?;
            let element = Value::Object(element);
            if !matches(&element)? {
                return Err(Error::value(format!(
                    "the value does not match the filter of `{label}`"
                )));
            }
            list.push(element);
            vec![list.len() - 1]
        } else {
            let fields = match target.filter_sub {
                None => Some(self.element_fields(def, value.clone(), label)?),
                Some(_) => None,
            };
            for &i in &matched {
                let Some(Value::Object(object)) = list.get_mut(i) else {
                    continue;
                };
                match (target.filter_sub, &fields) {
                    (Some(sub), _) => {
                        self.set_sub(kind, sub, object, Some(value.clone()), label)?
                    }
                    // `add` of a complex value sets the sub-attributes given.
                    (None, Some(fields)) if kind == Op::Add => {
                        merge(def, object, fields.clone(), label)?;
                    }
                    // RFC 7644 §3.5.2.3: "all matching record values SHALL
                    // be replaced" (its example changes "a User's entire
                    // work address").
                    (None, Some(fields)) => replace_element(def, object, fields.clone(), label)?,
                    (None, None) => {}
                }
            }
            matched
        };
        enforce_primary(def, &mut list, &written, &def.name)?;
        Ok(list_or_none(list))
    }

    /// The sub-attributes of the one complex value given for a filtered
    /// path (an object, a scalar for its `value`, or an array of one).
    fn element_fields(
        &self,
        def: &AttributeDef,
        value: Value,
        label: &str,
    ) -> Result<Map<String, Value>, Error> {
        let value = match value {
            Value::Array(mut items) if items.len() == 1 => items.pop().unwrap_or(Value::Null),
            v => v,
        };
        match self.norm.single(def, value, label)? {
            Value::Object(fields) => Ok(fields),
            _ => Err(Error::value(format!(
                "`{label}` needs an object of sub-attributes"
            ))),
        }
    }

    /// The value a filter made only of `sub eq literal` joined by `and`
    /// describes, e.g. `{"type": "work"}` for `type eq "work"`; `None` for
    /// any other filter.
    fn template(&self, def: &AttributeDef, filter: &Filter) -> Option<Map<String, Value>> {
        let mut fields = Map::new();
        let mut stack = vec![filter];
        while let Some(node) = stack.pop() {
            match node {
                Filter::And(l, r) => {
                    stack.push(r);
                    stack.push(l);
                }
                Filter::Compare {
                    path,
                    op: CompareOp::Eq,
                    value,
                } if path.schema.is_none() && path.sub_attr.is_none() => {
                    let sub = def.sub_attribute(&path.name)?;
                    if sub.mutability == Mutability::ReadOnly || sub.multi_valued {
                        return None;
                    }
                    let literal = match value {
                        CompValue::String(s) => Value::String(s.clone()),
                        CompValue::Bool(b) => Value::Bool(*b),
                        CompValue::Number(n) => Value::Number(n.to_json()?),
                        CompValue::Null => return None,
                    };
                    let literal = self.norm.single(sub, literal, &sub.name).ok()?;
                    match fields.get(&sub.name) {
                        Some(existing) if *existing != literal => return None,
                        _ => {
                            fields.insert(sub.name.clone(), literal);
                        }
                    }
                }
                _ => return None,
            }
        }
        Some(fields)
    }

    fn is_members(&self, target: &Target<'a, '_>) -> bool {
        target.extension.is_none()
            && self
                .rt
                .schema
                .attribute("members")
                .is_some_and(|m| std::ptr::eq(m, target.attr))
    }

    /// An operation on `members` with [`Options::extract_members`]: a
    /// membership change instead of a document change.
    fn members_op(
        &mut self,
        kind: Op,
        target: &Target<'a, '_>,
        value: Option<Value>,
    ) -> Result<(), Error> {
        if target.sub.is_some() || target.filter_sub.is_some() {
            return Err(Error::mutability(format!(
                "`{}`: the sub-attributes of members are immutable (RFC 7643 §4.2); \
                 add or remove members instead",
                target.label
            )));
        }
        let change = match (kind, &target.path.filter) {
            (Op::Remove, Some(filter)) => MemberChange::Remove(member_ids(filter)?),
            (_, Some(_)) => {
                return Err(Error::filter(format!(
                    "`{}`: only `remove` can select members with a value filter",
                    target.label
                )));
            }
            (Op::Add, None) => {
                let members = self.members(value.unwrap_or(Value::Null))?;
                if members.is_empty() {
                    return Ok(());
                }
                MemberChange::Add(members)
            }
            (Op::Replace, None) => {
                MemberChange::ReplaceAll(self.members(value.unwrap_or(Value::Null))?)
            }
            (Op::Remove, None) => match value {
                None | Some(Value::Null) => MemberChange::RemoveAll,
                Some(value) => {
                    let ids: Vec<String> =
                        self.members(value)?.into_iter().map(|m| m.value).collect();
                    if ids.is_empty() {
                        return Ok(());
                    }
                    MemberChange::Remove(ids)
                }
            },
        };
        self.members.push(change);
        Ok(())
    }

    /// The members in a value: an array, or a single member; each an object
    /// with a string `value` (or a bare id). Duplicates are dropped.
    fn members(&self, value: Value) -> Result<Vec<Member>, Error> {
        let items = match value {
            Value::Null => Vec::new(),
            Value::Array(items) => items,
            one => vec![one],
        };
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let member = match item {
                Value::String(id) => Member::new(id),
                Value::Object(fields) => self.member(fields)?,
                _ => {
                    return Err(Error::value(
                        "each member must be an object with a string `value`, the member's id",
                    ));
                }
            };
            if member.value.is_empty() {
                return Err(Error::value("a member's `value` must not be empty"));
            }
            if seen.insert(member.value.clone()) {
                out.push(member);
            }
        }
        Ok(out)
    }

    fn member(&self, fields: Map<String, Value>) -> Result<Member, Error> {
        let (mut value, mut ty, mut display) = (None, None, None);
        for (key, v) in fields {
            let slot = if key.eq_ignore_ascii_case("value") {
                &mut value
            } else if key.eq_ignore_ascii_case("type") {
                &mut ty
            } else if key.eq_ignore_ascii_case("display") {
                &mut display
            } else if key.eq_ignore_ascii_case("$ref") {
                continue;
            } else {
                match self.norm.strictness {
                    Strictness::Lenient => continue,
                    Strictness::Strict => {
                        return Err(Error::value(format!(
                            "members have no sub-attribute `{key}`"
                        )));
                    }
                }
            };
            match v {
                Value::String(s) => *slot = Some(s),
                Value::Null => {}
                _ => return Err(Error::value(format!("a member's `{key}` must be a string"))),
            }
        }
        let Some(value) = value else {
            return Err(Error::value(
                "each member must have a string `value`, the member's id",
            ));
        };
        Ok(Member {
            value,
            r#type: ty,
            display,
        })
    }

    /// Brings `schemas` up to date for the extensions written to: an
    /// extension with attributes is listed, one without is not (unless the
    /// resource type requires it), and its empty object is dropped.
    fn fix_schemas(&mut self) {
        for id in std::mem::take(&mut self.touched) {
            let present = get_ci(&self.doc, id)
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty());
            if !present {
                take_object_ci(&mut self.doc, id);
            }
            let wanted = present || self.rt.extension(id).is_some_and(|e| e.required);
            let key = self
                .doc
                .keys()
                .find(|k| k.eq_ignore_ascii_case("schemas"))
                .cloned()
                .unwrap_or_else(|| "schemas".to_owned());
            let is_id = |s: &Value| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(id));
            match self.doc.get_mut(&key) {
                Some(Value::Array(schemas)) => {
                    let listed = schemas.iter().any(is_id);
                    if wanted && !listed {
                        schemas.push(Value::String(id.to_owned()));
                    } else if !wanted && listed {
                        schemas.retain(|s| !is_id(s));
                    }
                }
                _ if wanted => {
                    let schemas = vec![
                        Value::String(self.rt.schema.id.clone()),
                        Value::String(id.to_owned()),
                    ];
                    put_ci(&mut self.doc, "schemas", Some(Value::Array(schemas)));
                }
                _ => {}
            }
        }
    }
}

fn missing_value(kind: Op) -> Error {
    // RFC 7644 §3.5.2.1 and §3.5.2.3: the operation "MUST contain a
    // "value" member"; §3.12: `invalidValue` is "A required value was
    // missing".
    Error::value(format!("`{}` needs a `value`", kind.name()))
}

/// RFC 7644 §3.5.2: "a client MUST NOT modify an attribute that has
/// mutability "readOnly" or "immutable". However, a client MAY "add" a
/// value to an "immutable" attribute if the attribute had no previous
/// value." §3.5.2.2: "If an attribute is removed or becomes unassigned and
/// is defined as a required attribute or a read-only attribute, the server
/// SHALL return ... a "scimType" error code of "mutability"."
///
/// An operation that leaves the value as it is passes, whatever the
/// mutability: Okta re-sends the group's `id` in a path-less `replace`.
/// Whether an operation with a path leaves its target unassigned: a
/// `remove`, or a `replace` with nothing (`null`, `[]`, `{}`).
fn unassigns(kind: Op, value: Option<&Value>) -> bool {
    match kind {
        Op::Remove => true,
        Op::Replace => match value {
            None | Some(Value::Null) => true,
            Some(Value::Array(items)) => items.is_empty(),
            Some(Value::Object(fields)) => fields.is_empty(),
            Some(_) => false,
        },
        _ => false,
    }
}

fn check_mutability(
    def: &AttributeDef,
    old: Option<&Value>,
    new: Option<&Value>,
    label: &str,
) -> Result<(), Error> {
    if old == new {
        return Ok(());
    }
    match def.mutability {
        Mutability::ReadOnly => Err(Error::mutability(format!(
            "`{label}` is readOnly and cannot be changed"
        ))),
        Mutability::Immutable if old.is_some() => Err(Error::mutability(format!(
            "`{label}` is immutable and already has a value"
        ))),
        _ if def.required && new.is_none() => Err(Error::mutability(format!(
            "`{label}` is required and cannot be removed"
        ))),
        // A blank string names nothing: validation refuses it for a
        // required attribute, so PATCH does too.
        _ if def.required
            && new
                .and_then(Value::as_str)
                .is_some_and(|s| s.trim().is_empty()) =>
        {
            Err(Error::value(format!(
                "`{label}` is required and cannot be blank"
            )))
        }
        _ => Ok(()),
    }
}

/// Sets the sub-attributes in `fields` (canonical names; `null` removes)
/// on the complex value `object`, checking each one's mutability.
fn merge(
    def: &AttributeDef,
    object: &mut Map<String, Value>,
    fields: Map<String, Value>,
    label: &str,
) -> Result<(), Error> {
    for (name, value) in fields {
        let Some(sub) = def.sub_attribute(&name) else {
            continue;
        };
        let old = get_ci(object, &sub.name).filter(|v| !v.is_null()).cloned();
        let new = (!value.is_null()).then_some(value);
        if new != old {
            check_mutability(
                sub,
                old.as_ref(),
                new.as_ref(),
                &format!("{label}.{}", sub.name),
            )?;
            put_ci(object, &sub.name, new);
        }
    }
    Ok(())
}

/// Replaces one complex value by `fields`, keeping what the client cannot
/// change: `readOnly` sub-attributes (set by the service provider) and
/// `immutable` ones that have a value (which must not differ).
fn replace_element(
    def: &AttributeDef,
    object: &mut Map<String, Value>,
    fields: Map<String, Value>,
    label: &str,
) -> Result<(), Error> {
    let mut new: Map<String, Value> = fields.into_iter().filter(|(_, v)| !v.is_null()).collect();
    for sub in &def.sub_attributes {
        let Some(old) = get_ci(object, &sub.name).filter(|v| !v.is_null()) else {
            continue;
        };
        let sub_label = format!("{label}.{}", sub.name);
        match (sub.mutability, new.get(&sub.name)) {
            (Mutability::ReadOnly, _) if def.mutability != Mutability::ReadOnly => {
                new.insert(sub.name.clone(), old.clone());
            }
            (Mutability::Immutable, None) => {
                new.insert(sub.name.clone(), old.clone());
            }
            (_, Some(v)) if v != old => check_mutability(sub, Some(old), Some(v), &sub_label)?,
            (_, None) => check_mutability(sub, Some(old), None, &sub_label)?,
            _ => {}
        }
    }
    check_required(def, &new, label)?;
    *object = new;
    Ok(())
}

/// Whether the new value `item` of a multi-valued attribute is already
/// there as `element`: equal, or holding every sub-attribute of `item` with
/// the same value. When the `value` sub-attribute is immutable (group
/// `members`), it identifies the value on its own.
fn covers(def: &AttributeDef, item: &Value, element: &Value) -> bool {
    if item == element {
        return true;
    }
    let (Value::Object(item), Value::Object(element)) = (item, element) else {
        return false;
    };
    if let Some(id) = def
        .sub_attribute("value")
        .filter(|v| v.mutability == Mutability::Immutable)
        && let (Some(a), Some(b)) = (get_ci(item, &id.name), get_ci(element, &id.name))
    {
        return a == b;
    }
    item.iter().all(|(k, v)| get_ci(element, k) == Some(v))
}

/// RFC 7643 §2.4: "The primary attribute value "true" MUST appear no more
/// than once." RFC 7644 §3.5.2.3: setting a new primary value makes the
/// service provider "reset "primary" to "false" for any other existing
/// values". `written` are the values the operation set.
fn enforce_primary(
    def: &AttributeDef,
    list: &mut [Value],
    written: &[usize],
    label: &str,
) -> Result<(), Error> {
    let Some(primary) = def
        .sub_attribute("primary")
        .filter(|p| p.ty == AttributeType::Boolean && !p.multi_valued)
    else {
        return Ok(());
    };
    let name = primary.name.as_str();
    let is_primary = |v: &Value| member_ci(v, name) == Some(&Value::Bool(true));
    let mut winners = written
        .iter()
        .copied()
        .filter(|&i| list.get(i).is_some_and(is_primary));
    let Some(winner) = winners.next() else {
        return Ok(());
    };
    if winners.next().is_some() {
        return Err(Error::value(format!(
            "at most one value of `{label}` may be primary"
        )));
    }
    for (i, element) in list.iter_mut().enumerate() {
        if i != winner
            && is_primary(element)
            && let Value::Object(object) = element
        {
            put_ci(object, name, Some(Value::Bool(false)));
        }
    }
    Ok(())
}

/// The member ids of a filter made only of `value eq "id"` joined by `or`.
/// Any other filter would need the whole member list to evaluate.
fn member_ids(filter: &Filter) -> Result<Vec<String>, Error> {
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![filter];
    while let Some(node) = stack.pop() {
        match node {
            Filter::Or(l, r) => {
                stack.push(r);
                stack.push(l);
            }
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: CompValue::String(id),
            } if path.schema.is_none()
                && path.sub_attr.is_none()
                && path.name.eq_ignore_ascii_case("value") =>
            {
                if seen.insert(id.as_str()) {
                    ids.push(id.clone());
                }
            }
            other => {
                return Err(Error::filter(format!(
                    "members can be selected only by `value eq \"<id>\"`, joined with `or`; \
                     `{other}` is not supported"
                )));
            }
        }
    }
    Ok(ids)
}

fn as_list(old: Option<Value>) -> Vec<Value> {
    match old {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(one) => vec![one],
    }
}

fn list_or_none(list: Vec<Value>) -> Option<Value> {
    (!list.is_empty()).then_some(Value::Array(list))
}

fn object_or_none(object: Map<String, Value>) -> Option<Value> {
    (!object.is_empty()).then_some(Value::Object(object))
}

fn is_empty_object(value: &Value) -> bool {
    matches!(value, Value::Object(o) if o.is_empty())
}
