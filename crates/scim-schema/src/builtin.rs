//! The built-in schemas of RFC 7643 §8.7.1 as data.
//!
//! Each function builds a fresh [`SchemaDef`]; callers that need them often
//! keep their own copy (the core's schema registry does).

use crate::attribute::{
    AttributeDef, AttributeType as T, Mutability, Returned, SchemaDef, Uniqueness,
};
use crate::urn;

/// Builder shorthands: schema definitions read close to the RFC's JSON.
impl AttributeDef {
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    fn unique(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }
    fn refs(mut self, types: &[&str]) -> Self {
        self.reference_types = types.iter().map(|v| (*v).to_owned()).collect();
        self
    }
    fn subs(mut self, subs: Vec<AttributeDef>) -> Self {
        self.sub_attributes = subs;
        self
    }
    fn describe(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }
}

fn s(name: &str) -> AttributeDef {
    AttributeDef::new(name, T::String)
}

fn b(name: &str) -> AttributeDef {
    AttributeDef::new(name, T::Boolean)
}

fn r(name: &str, types: &[&str]) -> AttributeDef {
    AttributeDef::new(name, T::Reference).refs(types)
}

fn c(name: &str, subs: Vec<AttributeDef>) -> AttributeDef {
    AttributeDef::new(name, T::Complex).subs(subs)
}

/// The `value`/`display`/`type`/`primary` shape shared by the multi-valued
/// attributes of the User schema.
fn multi(name: &str, value: AttributeDef, types: &[&str]) -> AttributeDef {
    c(
        name,
        vec![
            value,
            s("display"),
            s("type").canonical(types),
            b("primary"),
        ],
    )
    .multi()
}

/// The attributes common to every resource (RFC 7643 §3): `schemas`,
/// `id`, `externalId` and `meta`. They belong to no schema URN.
pub fn common_attributes() -> Vec<AttributeDef> {
    let ro = Mutability::ReadOnly;
    vec![
        r("schemas", &["uri"])
            .multi()
            .required()
            .returned(Returned::Always)
            .describe("The schema URNs the resource conforms to."),
        s("id")
            .case_exact()
            .mutability(ro)
            .returned(Returned::Always)
            .unique(Uniqueness::Server)
            .describe("Unique identifier for the resource, assigned by the service provider."),
        s("externalId")
            .case_exact()
            .describe("Identifier of the resource as defined by the provisioning client."),
        c(
            "meta",
            vec![
                s("resourceType").case_exact().mutability(ro),
                AttributeDef::new("created", T::DateTime).mutability(ro),
                AttributeDef::new("lastModified", T::DateTime).mutability(ro),
                r("location", &["uri"]).case_exact().mutability(ro),
                s("version").case_exact().mutability(ro),
            ],
        )
        .mutability(ro),
    ]
}

/// The core User schema, `urn:ietf:params:scim:schemas:core:2.0:User`.
pub fn user() -> SchemaDef {
    let ro = Mutability::ReadOnly;
    SchemaDef {
        id: urn::USER.to_owned(),
        name: "User".to_owned(),
        description: "User Account".to_owned(),
        attributes: vec![
            s("userName").required().unique(Uniqueness::Server).describe(
                "Unique identifier for the User, typically used by the user to directly authenticate.",
            ),
            c(
                "name",
                vec![
                    s("formatted"),
                    s("familyName"),
                    s("givenName"),
                    s("middleName"),
                    s("honorificPrefix"),
                    s("honorificSuffix"),
                ],
            ),
            s("displayName"),
            s("nickName"),
            r("profileUrl", &["external"]),
            s("title"),
            s("userType"),
            s("preferredLanguage"),
            s("locale"),
            s("timezone"),
            b("active"),
            s("password")
                .mutability(Mutability::WriteOnly)
                .returned(Returned::Never),
            multi("emails", s("value"), &["work", "home", "other"]),
            multi(
                "phoneNumbers",
                s("value"),
                &["work", "home", "mobile", "fax", "pager", "other"],
            ),
            multi(
                "ims",
                s("value"),
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
            ),
            multi(
                "photos",
                r("value", &["external"]),
                &["photo", "thumbnail"],
            ),
            c(
                "addresses",
                vec![
                    s("formatted"),
                    s("streetAddress"),
                    s("locality"),
                    s("region"),
                    s("postalCode"),
                    s("country"),
                    s("type").canonical(&["work", "home", "other"]),
                    b("primary"),
                ],
            )
            .multi(),
            c(
                "groups",
                vec![
                    s("value").mutability(ro),
                    r("$ref", &["User", "Group"]).mutability(ro),
                    s("display").mutability(ro),
                    s("type").canonical(&["direct", "indirect"]).mutability(ro),
                ],
            )
            .multi()
            .mutability(ro),
            multi("entitlements", s("value"), &[]),
            multi("roles", s("value"), &[]),
            multi(
                "x509Certificates",
                AttributeDef::new("value", T::Binary),
                &[],
            ),
        ],
    }
}

/// The core Group schema, `urn:ietf:params:scim:schemas:core:2.0:Group`.
pub fn group() -> SchemaDef {
    let im = Mutability::Immutable;
    SchemaDef {
        id: urn::GROUP.to_owned(),
        name: "Group".to_owned(),
        description: "Group".to_owned(),
        attributes: vec![
            s("displayName").describe("A human-readable name for the Group."),
            c(
                "members",
                vec![
                    s("value").mutability(im),
                    r("$ref", &["User", "Group"]).mutability(im),
                    s("type").canonical(&["User", "Group"]).mutability(im),
                ],
            )
            .multi(),
        ],
    }
}

/// The Enterprise User extension,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
pub fn enterprise_user() -> SchemaDef {
    SchemaDef {
        id: urn::ENTERPRISE_USER.to_owned(),
        name: "EnterpriseUser".to_owned(),
        description: "Enterprise User".to_owned(),
        attributes: vec![
            s("employeeNumber"),
            s("costCenter"),
            s("organization"),
            s("division"),
            s("department"),
            c(
                "manager",
                vec![
                    s("value"),
                    r("$ref", &["User"]),
                    s("displayName").mutability(Mutability::ReadOnly),
                ],
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_name_is_required_unique_and_case_insensitive() {
        let user = user();
        let attr = user.attribute("username").unwrap();
        assert!(attr.required);
        assert!(!attr.case_exact);
        assert_eq!(attr.uniqueness, Uniqueness::Server);
    }

    #[test]
    fn password_is_never_returned() {
        let user = user();
        let attr = user.attribute("password").unwrap();
        assert_eq!(attr.returned, Returned::Never);
        assert_eq!(attr.mutability, Mutability::WriteOnly);
    }

    #[test]
    fn groups_and_its_sub_attributes_are_read_only() {
        let user = user();
        let groups = user.attribute("groups").unwrap();
        assert_eq!(groups.mutability, Mutability::ReadOnly);
        assert!(
            groups
                .sub_attributes
                .iter()
                .all(|a| a.mutability == Mutability::ReadOnly)
        );
    }

    #[test]
    fn multi_valued_attributes_carry_primary() {
        let user = user();
        for name in [
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "roles",
        ] {
            let attr = user.attribute(name).unwrap();
            assert!(attr.multi_valued, "{name}");
            assert!(attr.sub_attribute("primary").is_some(), "{name}");
        }
    }

    #[test]
    fn schemas_serialise_in_rfc_form() {
        let json = serde_json::to_value(enterprise_user()).unwrap();
        assert_eq!(json["id"], urn::ENTERPRISE_USER);
        let manager = &json["attributes"][5];
        assert_eq!(manager["name"], "manager");
        assert_eq!(manager["type"], "complex");
        assert_eq!(manager["subAttributes"][1]["name"], "$ref");
        assert_eq!(manager["subAttributes"][1]["referenceTypes"][0], "User");
    }
}
