//! What goes in and comes out of [`apply`](crate::apply): options, the
//! outcome, and group membership changes.

use scim_schema::Strictness;
use serde_json::Value;

/// How a PATCH is applied.
///
/// ```
/// use scim_patch::Options;
/// use scim_schema::Strictness;
///
/// let groups = Options::new().with_extract_members(true);
/// assert!(groups.extract_members);
/// assert_eq!(groups.strictness, Strictness::Lenient);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Do not apply operations on the `members` attribute of the base
    /// schema (Group's) to the document: report them as
    /// [`Outcome::members`] instead, so that the caller applies them as
    /// deltas to a membership store without loading the member list.
    /// Default `false`.
    pub extract_members: bool,
    /// What to do with sub-attributes that the schema does not define,
    /// inside values: drop them ([`Strictness::Lenient`], the default, as
    /// POST and PUT do; RFC 7644 §3.5.2.1's own example adds a member with
    /// a `display` that RFC 7643 §8.7.1 does not define, and Okta sends it
    /// too), or refuse them with `invalidValue` ([`Strictness::Strict`]).
    /// Unknown *attributes* (in a `path`, or as a key of a path-less value)
    /// are always refused with `invalidPath`.
    pub strictness: Strictness,
}

impl Options {
    /// The defaults: members applied to the document, lenient sub-attributes.
    pub fn new() -> Self {
        Options::default()
    }

    /// These options with [`extract_members`](Options::extract_members) set.
    pub fn with_extract_members(mut self, extract_members: bool) -> Self {
        self.extract_members = extract_members;
        self
    }

    /// These options with another [`strictness`](Options::strictness).
    pub fn with_strictness(mut self, strictness: Strictness) -> Self {
        self.strictness = strictness;
        self
    }
}

/// The result of a successful PATCH.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The patched resource, in stored form.
    pub resource: Value,
    /// Whether `resource` differs from the input (compared structurally as
    /// JSON). `false` for a PATCH that only re-states current values: the
    /// caller should then neither bump the version nor emit an event.
    /// Membership changes are not counted here: see [`Outcome::members`].
    pub changed: bool,
    /// The membership changes, in request order, when
    /// [`Options::extract_members`] is set (otherwise empty). Changes that
    /// re-state the current membership are reported too: only the
    /// membership store can tell whether they change anything.
    pub members: Vec<MemberChange>,
}

/// A member of a group, as sent in a PATCH.
///
/// `$ref` is not kept: the service provider builds it from its own base
/// URL and the member's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Member {
    /// The member's `id`.
    pub value: String,
    /// `User` or `Group`, if the client said.
    pub r#type: Option<String>,
    /// The display name the client sent, if any.
    pub display: Option<String>,
}

impl Member {
    /// A member with only an id.
    pub fn new(value: impl Into<String>) -> Self {
        Member {
            value: value.into(),
            r#type: None,
            display: None,
        }
    }
}

/// One change to a group's membership, to apply in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Add these members (those already members stay as they are).
    Add(Vec<Member>),
    /// Remove the members with these ids (ids that are not members are
    /// ignored).
    Remove(Vec<String>),
    /// Remove every member.
    RemoveAll,
    /// Make these the only members.
    ReplaceAll(Vec<Member>),
}
