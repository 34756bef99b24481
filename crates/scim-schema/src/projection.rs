//! Response shaping: `returned` characteristics and the `attributes` /
//! `excludedAttributes` query parameters (RFC 7644 §3.9, RFC 7643 §7).

use serde_json::{Map, Value};

use crate::attribute::{AttributeDef, Returned};
use crate::resource_type::ResourceType;

/// One entry of `attributes` or `excludedAttributes`, resolved against a
/// resource type to canonical names.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ref {
    /// The extension URN, or `None` for the base schema and common attributes.
    extension: Option<String>,
    /// The top-level attribute, or `None` for a whole extension.
    name: Option<String>,
    /// The sub-attribute.
    sub: Option<String>,
}

/// Which attributes a response carries, from the `attributes` and
/// `excludedAttributes` parameters. Names the resource type does not know
/// are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// Whether `attributes` was given with at least one name, known or not.
    restricted: bool,
    attributes: Vec<Ref>,
    excluded: Vec<Ref>,
}

impl Projection {
    /// Every attribute returned by default.
    pub fn all() -> Self {
        Projection::default()
    }

    /// Whether the `attributes` parameter named anything.
    pub fn is_restricted(&self) -> bool {
        self.restricted
    }

    /// Whether the response leaves out the top-level attribute `name` of
    /// the base schema (e.g. `members`), so that the caller can avoid
    /// loading it.
    pub fn excludes(&self, resource_type: &ResourceType, name: &str) -> bool {
        let Some(def) = resource_type.core_attribute(name) else {
            return false;
        };
        !attribute_included(self, None, def)
    }
}

impl ResourceType {
    /// Parses comma-separated `attributes` and `excludedAttributes` values.
    /// When both are given, `attributes` wins, as it names exactly what is
    /// wanted.
    pub fn projection(&self, attributes: Option<&str>, excluded: Option<&str>) -> Projection {
        let names = |list: Option<&str>| -> Vec<String> {
            list.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let resolve = |names: Vec<String>| -> Vec<Ref> {
            names.iter().filter_map(|s| self.reference(s)).collect()
        };
        let wanted = names(attributes);
        let restricted = !wanted.is_empty();
        Projection {
            restricted,
            attributes: resolve(wanted),
            excluded: if restricted {
                Vec::new()
            } else {
                resolve(names(excluded))
            },
        }
    }

    fn reference(&self, text: &str) -> Option<Ref> {
        if let Some(ext) = self.extension(text) {
            return Some(Ref {
                extension: Some(ext.schema.id.clone()),
                name: None,
                sub: None,
            });
        }
        let (extension, _) = self.find(text)?;
        // `find` resolved the path; recover the canonical top-level and sub names.
        let path = text.rsplit_once(':').map_or(text, |(_, p)| p);
        let (top, sub) = match path.split_once('.') {
            Some((top, sub)) => (top, Some(sub)),
            None => (path, None),
        };
        let top_def = match extension {
            Some(urn) => self.extension(urn)?.schema.attribute(top)?,
            None => self.core_attribute(top)?,
        };
        let sub = match sub {
            Some(sub) => Some(top_def.sub_attribute(sub)?.name.clone()),
            None => None,
        };
        Some(Ref {
            extension: extension.map(str::to_owned),
            name: Some(top_def.name.clone()),
            sub,
        })
    }

    /// The representation of a stored resource (`id`, `meta` and all
    /// attributes) that a client gets: attributes whose `returned` is
    /// `never` are removed, `request` ones appear only when asked for,
    /// `always` ones always, the rest according to `projection`.
    pub fn shape(
        &self,
        resource: &Map<String, Value>,
        projection: &Projection,
    ) -> Map<String, Value> {
        let mut out = Map::with_capacity(resource.len());
        for (key, value) in resource {
            if let Some(ext) = self.extension(key) {
                let Value::Object(attrs) = value else {
                    continue;
                };
                let mut kept = Map::new();
                for (name, v) in attrs {
                    let Some(def) = ext.schema.attribute(name) else {
                        continue;
                    };
                    if let Some(v) = shape_attribute(projection, Some(&ext.schema.id), def, v) {
                        kept.insert(name.clone(), v);
                    }
                }
                if !kept.is_empty() {
                    out.insert(key.clone(), Value::Object(kept));
                }
            } else if let Some(def) = self.core_attribute(key) {
                if let Some(v) = shape_attribute(projection, None, def, value) {
                    out.insert(key.clone(), v);
                }
            } else if !projection.is_restricted() {
                // Stored but undeclared (e.g. kept from a laxer schema): default.
                out.insert(key.clone(), value.clone());
            }
        }
        out
    }
}

fn same(a: Option<&str>, b: Option<&String>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// Refs of `list` about attribute `def` in `extension`.
fn refs<'a>(
    list: &'a [Ref],
    extension: Option<&'a str>,
    def: &'a AttributeDef,
) -> impl Iterator<Item = &'a Ref> {
    list.iter().filter(move |r| {
        same(extension, r.extension.as_ref())
            && (r.name.is_none() || r.name.as_deref() == Some(def.name.as_str()))
    })
}

fn attribute_included(
    projection: &Projection,
    extension: Option<&str>,
    def: &AttributeDef,
) -> bool {
    match def.returned {
        Returned::Never => false,
        Returned::Always => true,
        Returned::Request => refs(&projection.attributes, extension, def)
            .next()
            .is_some(),
        Returned::Default if projection.is_restricted() => {
            refs(&projection.attributes, extension, def)
                .next()
                .is_some()
        }
        Returned::Default => !refs(&projection.excluded, extension, def).any(|r| r.sub.is_none()),
    }
}

fn shape_attribute(
    projection: &Projection,
    extension: Option<&str>,
    def: &AttributeDef,
    value: &Value,
) -> Option<Value> {
    if !attribute_included(projection, extension, def) {
        return None;
    }
    if def.sub_attributes.is_empty() || def.returned == Returned::Always {
        return Some(value.clone());
    }
    // Which sub-attributes survive.
    let keep = |sub: &AttributeDef| -> bool {
        match sub.returned {
            Returned::Never => false,
            Returned::Always => true,
            _ if projection.is_restricted() => {
                let mut named = refs(&projection.attributes, extension, def).peekable();
                let whole = refs(&projection.attributes, extension, def).any(|r| r.sub.is_none());
                whole && sub.returned != Returned::Request
                    || named.any(|r| r.sub.as_deref() == Some(sub.name.as_str()))
            }
            Returned::Request => false,
            Returned::Default => !refs(&projection.excluded, extension, def)
                .any(|r| r.sub.as_deref() == Some(sub.name.as_str())),
        }
    };
    let filter = |object: &Map<String, Value>| -> Map<String, Value> {
        object
            .iter()
            .filter(|(k, _)| def.sub_attribute(k).is_none_or(&keep))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    match value {
        Value::Object(object) => {
            let kept = filter(object);
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items
                .iter()
                .filter_map(|item| match item {
                    Value::Object(object) => {
                        let kept = filter(object);
                        (!kept.is_empty()).then_some(Value::Object(kept))
                    }
                    other => Some(other.clone()),
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::urn;
    use serde_json::json;

    fn user() -> Map<String, Value> {
        let Value::Object(map) = json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "id": "2819c223",
            "externalId": "bjensen",
            "userName": "bjensen",
            "password": "t1meMa$heen",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
            "meta": {"resourceType": "User", "version": "W/\"1\""},
            urn::ENTERPRISE_USER: {"employeeNumber": "701984", "manager": {"value": "26118915"}}
        }) else {
            unreachable!()
        };
        map
    }

    fn shape(attributes: Option<&str>, excluded: Option<&str>) -> Value {
        let users = ResourceType::user();
        Value::Object(users.shape(&user(), &users.projection(attributes, excluded)))
    }

    #[test]
    fn never_returned_attributes_are_always_removed() {
        assert!(shape(None, None).get("password").is_none());
        assert!(shape(Some("password"), None).get("password").is_none());
    }

    #[test]
    fn the_default_keeps_everything_else() {
        let mut expected = Value::Object(user());
        expected.as_object_mut().unwrap().remove("password");
        assert_eq!(shape(None, None), expected);
    }

    #[test]
    fn attributes_keep_only_what_is_named_plus_always_returned() {
        assert_eq!(
            shape(Some("userName, NAME.givenName"), None),
            json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER],
                "id": "2819c223",
                "userName": "bjensen",
                "name": {"givenName": "Barbara"}
            })
        );
        assert_eq!(
            shape(
                Some(
                    "emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
                ),
                None
            ),
            json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER],
                "id": "2819c223",
                "emails": [{"value": "b@example.com"}],
                urn::ENTERPRISE_USER: {"manager": {"value": "26118915"}}
            })
        );
        assert_eq!(
            shape(Some(urn::ENTERPRISE_USER), None)[urn::ENTERPRISE_USER],
            json!({"employeeNumber": "701984", "manager": {"value": "26118915"}})
        );
    }

    #[test]
    fn excluded_attributes_are_removed_but_never_always_ones() {
        let shaped = shape(
            None,
            Some(
                "emails,name.familyName,id,meta,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            ),
        );
        assert!(shaped.get("emails").is_none());
        assert!(shaped.get("meta").is_none());
        assert!(shaped.get(urn::ENTERPRISE_USER).is_none());
        assert_eq!(shaped["name"], json!({"givenName": "Barbara"}));
        assert_eq!(shaped["id"], "2819c223");
        assert_eq!(shaped["userName"], "bjensen");
    }

    #[test]
    fn unknown_names_are_ignored() {
        assert_eq!(shape(None, Some("nope,name.nope")), shape(None, None));
        assert_eq!(
            shape(Some("nope"), None),
            json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "2819c223"}),
            "asking only for unknown attributes yields the always-returned ones"
        );
    }

    #[test]
    fn excludes_tells_whether_members_are_needed() {
        let groups = ResourceType::group();
        assert!(
            groups
                .projection(None, Some("members"))
                .excludes(&groups, "members")
        );
        assert!(!groups.projection(None, None).excludes(&groups, "members"));
        assert!(
            groups
                .projection(Some("displayName"), None)
                .excludes(&groups, "members")
        );
        assert!(
            !groups
                .projection(Some("members.value"), None)
                .excludes(&groups, "members")
        );
    }
}
