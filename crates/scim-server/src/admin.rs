//! The operator's commands, against the database the server uses: `tenant`,
//! `token` and `client` (tenant and credential administration), `webhook`,
//! `events`, `audit` and `purge` (the outbox and the audit log, in
//! `outbox`), and `config check`.
//!
//! Each command opens the configured database (applying pending
//! migrations, as `serve` does), runs one [`AuthService`] operation and
//! returns what to print: text for people, or JSON with `--json`. Tokens
//! are printed only where they are made (`tenant create`, `token issue`,
//! `token rotate`), client secrets only by `client create`; hashes never.

pub(crate) mod outbox;

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use scim_core::ports::{SystemClock, UuidV7Ids};
use scim_core::{
    AuthService, Client, CreatedClient, Credential, CredentialStatus, DeleteMode, DuplicatePolicy,
    ErrorKind, IdpProfile, JwksLocation, JwtTrust, NewToken, Tenant, TenantExtension,
    TenantPolicies,
};
use scim_schema::{SchemaDef, Strictness};
use serde_json::{Value, json};

use crate::settings::{
    ClientCommand, DeleteModeArg, DuplicatesArg, ExtensionCommand, IdpArg, Settings, StrictnessArg,
    TenantCommand, TokenCommand, TrustCommand,
};

pub use outbox::{audit, events, purge, webhook};

/// A command the operator got wrong (a missing `--yes`, an invalid name or
/// duration): the binary exits with code 2 instead of 1.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Runs a `tenant` command; returns what to print on standard output.
pub async fn tenant(
    settings: &Settings,
    command: &TenantCommand,
    json: bool,
) -> anyhow::Result<String> {
    // Refuse before touching the database.
    if let TenantCommand::Delete { name, yes: false } = command {
        return Err(UsageError(format!(
            "refusing to delete tenant {name:?} and all its data without --yes"
        ))
        .into());
    }
    if let TenantCommand::Update {
        duplicates: None,
        delete_mode: None,
        strictness: None,
        idp: None,
        ..
    } = command
    {
        return Err(UsageError(
            "nothing to update: give --duplicates, --delete-mode, --strictness or --idp".to_owned(),
        )
        .into());
    }
    with_auth(settings, |auth| async move {
        match command {
            TenantCommand::Create {
                name,
                token_expires_in_days,
            } => {
                let expires = in_days(*token_expires_in_days)?;
                let created = auth
                    .create_tenant(name, None, expires)
                    .await
                    .map_err(core)?;
                let url = scim_url(settings);
                Ok(if json {
                    json_text(&json!({
                        "tenant": tenant_json(&created.tenant),
                        "scimUrl": url,
                        "token": created.token.token,
                        "credential": credential_json(&created.credential, Utc::now()),
                    }))
                } else {
                    let mut out = format!(
                        "Created tenant {} (id {}).\n\n",
                        created.tenant.name, created.tenant.id
                    );
                    out.push_str(&handover(&url, &created.token.token, &created.credential));
                    out
                })
            }
            TenantCommand::List => {
                let tenants = auth.tenants().await.map_err(core)?;
                Ok(if json {
                    json_text(&Value::Array(tenants.iter().map(tenant_json).collect()))
                } else if tenants.is_empty() {
                    "No tenants.\n".to_owned()
                } else {
                    table(
                        &["NAME", "ID", "CREATED"],
                        tenants
                            .iter()
                            .map(|t| vec![t.name.clone(), t.id.to_string(), time(t.created)])
                            .collect(),
                    )
                })
            }
            TenantCommand::Show { name } => {
                let tenant = auth.tenant(name).await.map_err(core)?;
                let policies = auth.policies(name).await.map_err(core)?;
                let tokens = auth.tokens(name).await.map_err(core)?;
                Ok(describe(&tenant, &policies, &tokens, json))
            }
            TenantCommand::Update {
                name,
                duplicates,
                delete_mode,
                strictness,
                idp,
            } => {
                let mut policies = auth.policies(name).await.map_err(core)?;
                if let Some(p) = idp {
                    policies.idp = match p {
                        IdpArg::Generic => Some(IdpProfile::Generic),
                        IdpArg::Entra => Some(IdpProfile::Entra),
                        IdpArg::Okta => Some(IdpProfile::Okta),
                        IdpArg::Onelogin => Some(IdpProfile::OneLogin),
                        IdpArg::Jumpcloud => Some(IdpProfile::JumpCloud),
                        IdpArg::Pingone => Some(IdpProfile::PingOne),
                        IdpArg::Rippling => Some(IdpProfile::Rippling),
                        IdpArg::Google => Some(IdpProfile::Google),
                        IdpArg::Default => None,
                    };
                }
                if let Some(d) = duplicates {
                    policies.duplicates = match d {
                        DuplicatesArg::ReturnSameExternalId => {
                            Some(DuplicatePolicy::ReturnSameExternalId)
                        }
                        DuplicatesArg::Conflict => Some(DuplicatePolicy::Conflict),
                        DuplicatesArg::ReturnExisting => Some(DuplicatePolicy::ReturnExisting),
                        DuplicatesArg::Default => None,
                    };
                }
                if let Some(m) = delete_mode {
                    policies.delete_mode = match m {
                        DeleteModeArg::Soft => Some(DeleteMode::Soft),
                        DeleteModeArg::Hard => Some(DeleteMode::Hard),
                        DeleteModeArg::Default => None,
                    };
                }
                if let Some(s) = strictness {
                    policies.strictness = match s {
                        StrictnessArg::Lenient => Some(Strictness::Lenient),
                        StrictnessArg::Strict => Some(Strictness::Strict),
                        StrictnessArg::Default => None,
                    };
                }
                auth.set_policies(name, policies.clone())
                    .await
                    .map_err(core)?;
                let tenant = auth.tenant(name).await.map_err(core)?;
                let tokens = auth.tokens(name).await.map_err(core)?;
                Ok(describe(&tenant, &policies, &tokens, json))
            }
            TenantCommand::Extension(command) => extension(settings, &auth, command, json).await,
            TenantCommand::Trust(command) => trust(&auth, command, json).await,
            TenantCommand::Delete { name, .. } => {
                let tenant = auth.delete_tenant(name).await.map_err(core)?;
                Ok(if json {
                    json_text(&json!({ "deleted": tenant_json(&tenant) }))
                } else {
                    format!(
                        "Deleted tenant {} (id {}) with all its tokens, users, groups and events.\n",
                        tenant.name, tenant.id
                    )
                })
            }
        }
    })
    .await
}

/// Runs a `tenant extension` command.
async fn extension(
    settings: &Settings,
    auth: &AuthService,
    command: &ExtensionCommand,
    json: bool,
) -> anyhow::Result<String> {
    match command {
        ExtensionCommand::Add {
            tenant,
            file,
            resource_type,
            required,
        } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let schema: SchemaDef = serde_json::from_str(&text).map_err(|e| {
                UsageError(format!(
                    "{} is not a SCIM schema (RFC 7643 §7): {e}",
                    file.display()
                ))
            })?;
            schema
                .check()
                .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
            let extension = tenant_extension(
                &settings.resource_types()?,
                schema,
                resource_type,
                *required,
            )?;
            let mut policies = auth.policies(tenant).await.map_err(core)?;
            add_extension(&mut policies, extension);
            auth.set_policies(tenant, policies.clone())
                .await
                .map_err(core)?;
            Ok(extensions(&policies, json))
        }
        ExtensionCommand::List { tenant } => {
            let policies = auth.policies(tenant).await.map_err(core)?;
            Ok(extensions(&policies, json))
        }
        ExtensionCommand::Remove { tenant, schema } => {
            let mut policies = auth.policies(tenant).await.map_err(core)?;
            let before = policies.extensions.len();
            policies
                .extensions
                .retain(|e| !e.schema.id.eq_ignore_ascii_case(schema));
            if policies.extensions.len() == before {
                return Err(
                    UsageError(format!("tenant {tenant} has no extension {schema}")).into(),
                );
            }
            auth.set_policies(tenant, policies.clone())
                .await
                .map_err(core)?;
            Ok(extensions(&policies, json))
        }
    }
}

/// `schema` as an extension of the served resource type named
/// `resource_type`, checked: the type exists and does not carry the schema
/// for every tenant already.
pub(crate) fn tenant_extension(
    types: &[scim_schema::ResourceType],
    schema: SchemaDef,
    resource_type: &str,
    required: bool,
) -> Result<TenantExtension, UsageError> {
    schema.check().map_err(UsageError)?;
    let served = types
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(resource_type))
        .ok_or_else(|| {
            let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
            UsageError(format!(
                "this server serves no resource type {resource_type:?}; it serves {}",
                names.join(", ")
            ))
        })?;
    if served.knows_schema(&schema.id) {
        return Err(UsageError(format!(
            "{} already belongs to {} for every tenant",
            schema.id, served.name
        )));
    }
    Ok(TenantExtension {
        resource_type: served.name.clone(),
        schema: Arc::new(schema),
        required,
    })
}

/// Adds `extension` to the policies, replacing the same schema on the
/// same resource type.
pub(crate) fn add_extension(policies: &mut TenantPolicies, extension: TenantExtension) {
    policies.extensions.retain(|e| {
        !(e.resource_type
            .eq_ignore_ascii_case(&extension.resource_type)
            && e.schema.id.eq_ignore_ascii_case(&extension.schema.id))
    });
    policies.extensions.push(extension);
}

/// A tenant's extensions as JSON.
pub(crate) fn extensions_json(policies: &TenantPolicies) -> Value {
    Value::Array(
        policies
            .extensions
            .iter()
            .map(|e| {
                json!({
                    "resourceType": e.resource_type,
                    "schema": e.schema.id,
                    "required": e.required,
                    "attributes": e.schema.attributes.iter().map(|a| &a.name).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// A tenant's schema extensions, as `tenant extension` prints them.
fn extensions(policies: &TenantPolicies, json: bool) -> String {
    if json {
        return json_text(&extensions_json(policies));
    }
    if policies.extensions.is_empty() {
        return "No schema extensions.\n".to_owned();
    }
    table(
        &["RESOURCE TYPE", "SCHEMA", "REQUIRED", "ATTRIBUTES"],
        policies
            .extensions
            .iter()
            .map(|e| {
                vec![
                    e.resource_type.clone(),
                    e.schema.id.clone(),
                    if e.required { "yes" } else { "no" }.to_owned(),
                    e.schema
                        .attributes
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect(),
    )
}

/// Runs a `token` command; returns what to print on standard output.
pub async fn token(
    settings: &Settings,
    command: &TokenCommand,
    json: bool,
) -> anyhow::Result<String> {
    with_auth(settings, |auth| async move {
        match command {
            TokenCommand::Issue {
                tenant,
                expires_in_days,
            } => {
                let expires = in_days(*expires_in_days)?;
                let issued = auth.issue_token(tenant, expires).await.map_err(core)?;
                Ok(if json {
                    new_token_json(&issued, None)
                } else {
                    let mut out = format!("Issued a new token for tenant {tenant}.\n\n");
                    out.push_str(&handover(
                        &scim_url(settings),
                        &issued.token.token,
                        &issued.credential,
                    ));
                    out
                })
            }
            TokenCommand::List { tenant } => {
                let tokens = auth.tokens(tenant).await.map_err(core)?;
                let now = Utc::now();
                Ok(if json {
                    json_text(&Value::Array(
                        tokens.iter().map(|c| credential_json(c, now)).collect(),
                    ))
                } else if tokens.is_empty() {
                    format!("Tenant {tenant} has no tokens.\n")
                } else {
                    table(
                        &["ID", "PREFIX", "CREATED", "EXPIRES", "REVOKED", "STATUS"],
                        tokens
                            .iter()
                            .map(|c| {
                                vec![
                                    c.id.clone(),
                                    c.prefix.clone(),
                                    time(c.created),
                                    c.expires.map_or_else(|| "never".to_owned(), time),
                                    c.revoked.map_or_else(|| "-".to_owned(), time),
                                    c.status(now).as_str().to_owned(),
                                ]
                            })
                            .collect(),
                    )
                })
            }
            TokenCommand::Revoke {
                tenant,
                credential_id,
            } => {
                let revoked = auth
                    .revoke_token(tenant, credential_id)
                    .await
                    .map_err(core)?;
                Ok(if json {
                    json_text(&credential_json(&revoked, Utc::now()))
                } else {
                    format!(
                        "Revoked credential {} ({}...) of tenant {tenant}: its token no longer authenticates.\n",
                        revoked.id, revoked.prefix
                    )
                })
            }
            TokenCommand::Rotate {
                tenant,
                credential_id,
                grace_hours,
                expires_in_days,
            } => {
                let grace = Duration::hours(i64::from(*grace_hours));
                let expires = in_days(*expires_in_days)?;
                let rotation = auth
                    .rotate_token(tenant, credential_id, grace, expires)
                    .await
                    .map_err(core)?;
                Ok(if json {
                    new_token_json(&rotation.new, Some(&rotation.previous))
                } else {
                    let mut out = format!("Rotated credential {credential_id} of tenant {tenant}.\n\n");
                    out.push_str(&handover(
                        &scim_url(settings),
                        &rotation.new.token.token,
                        &rotation.new.credential,
                    ));
                    let until = rotation
                        .previous
                        .expires
                        .map_or_else(|| "never".to_owned(), time);
                    let _ = writeln!(
                        out,
                        "\nThe old token ({}...) keeps working until the new one is first used, or until {until}, then stops.",
                        rotation.previous.prefix
                    );
                    out
                })
            }
        }
    })
    .await
}

/// Settings whose values are secrets: `config check` says whether they are
/// set, never what they are.
const SECRET_SETTINGS: [&str; 2] = ["bootstrap_token", "admin_token"];

/// `config check`: checks what `serve` would check before opening the
/// database (the schema and resource type files included) and lists every
/// setting with its source. Returns what to print.
pub fn config_check(
    settings: &Settings,
    sources: &std::collections::BTreeMap<String, &'static str>,
    json: bool,
) -> anyhow::Result<String> {
    let types = settings
        .resource_types()
        .map_err(|e| UsageError(format!("{e:#}")))?;
    if let Some(path) = &settings.webhook_ca_file {
        crate::webhooks::HttpTransport::new(Some(path))
            .map_err(|e| UsageError(format!("--webhook-ca-file: {e:#}")))?;
    }
    let database = settings.redacted_database_url();
    let Value::Object(values) = serde_json::to_value(settings)? else {
        anyhow::bail!("the settings are not a JSON object");
    };
    let rows: Vec<(String, Value, &str)> = values
        .into_iter()
        .map(|(name, value)| {
            let value = if value.is_null() {
                value
            } else if SECRET_SETTINGS.contains(&name.as_str()) {
                Value::String("(set)".into())
            } else if name == "database_url" {
                Value::String(database.clone())
            } else {
                value
            };
            let source = sources.get(&name).copied().unwrap_or("default");
            (name, value, source)
        })
        .collect();
    let type_names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
    if json {
        let settings: serde_json::Map<String, Value> = rows
            .iter()
            .map(|(name, value, source)| (name.clone(), json!({"value": value, "source": source})))
            .collect();
        return Ok(json_text(&json!({
            "ok": true,
            "settings": settings,
            "database": database,
            "resourceTypes": type_names,
        })));
    }
    let mut out = table(
        &["SETTING", "VALUE", "SOURCE"],
        rows.into_iter()
            .map(|(name, value, source)| {
                let shown = match value {
                    Value::Null => "-".to_owned(),
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                vec![name, shown, source.to_owned()]
            })
            .collect(),
    );
    let _ = writeln!(out, "\nResource types: {}", type_names.join(", "));
    out.push_str("The configuration is valid.\n");
    Ok(out)
}

/// Runs a `client` command; returns what to print on standard output.
pub async fn client(
    settings: &Settings,
    command: &ClientCommand,
    json: bool,
) -> anyhow::Result<String> {
    with_auth(settings, |auth| async move {
        match command {
            ClientCommand::Create { tenant, name } => {
                let created = auth
                    .create_client(tenant, Some(name))
                    .await
                    .map_err(core)?;
                let endpoint = settings.token_endpoint();
                let minutes = auth.access_token_lifetime().num_minutes();
                Ok(if json {
                    json_text(&new_client_json(
                        &created,
                        &endpoint,
                        &scim_url(settings),
                        minutes,
                    ))
                } else {
                    let mut out = format!(
                        "Created OAuth client {} ({}) for tenant {tenant}.\n\n",
                        created.client.id, created.client.name
                    );
                    let _ = writeln!(out, "SCIM endpoint:  {}", scim_url(settings));
                    let _ = writeln!(out, "Token endpoint: {endpoint}");
                    let _ = writeln!(out, "Client id:      {}", created.client.id);
                    let _ = writeln!(
                        out,
                        "Client secret (shown only this once; only its hash is stored):"
                    );
                    let _ = writeln!(out);
                    let _ = writeln!(out, "    {}", created.secret);
                    let _ = writeln!(out);
                    let _ = writeln!(
                        out,
                        "Access tokens (grant_type=client_credentials) are valid for {minutes} minutes."
                    );
                    out
                })
            }
            ClientCommand::List { tenant } => {
                let clients = auth.clients(tenant).await.map_err(core)?;
                Ok(if json {
                    json_text(&Value::Array(clients.iter().map(client_json).collect()))
                } else if clients.is_empty() {
                    format!("Tenant {tenant} has no OAuth clients.\n")
                } else {
                    table(
                        &["CLIENT ID", "NAME", "CREATED", "REVOKED", "STATUS"],
                        clients
                            .iter()
                            .map(|c| {
                                vec![
                                    c.id.clone(),
                                    c.name.clone(),
                                    time(c.created),
                                    c.revoked.map_or_else(|| "-".to_owned(), time),
                                    client_status(c).to_owned(),
                                ]
                            })
                            .collect(),
                    )
                })
            }
            ClientCommand::Revoke { tenant, client_id } => {
                let revoked = auth.revoke_client(tenant, client_id).await.map_err(core)?;
                Ok(if json {
                    json_text(&client_json(&revoked))
                } else {
                    format!(
                        "Revoked OAuth client {} of tenant {tenant}: its secret and access tokens no longer authenticate.\n",
                        revoked.id
                    )
                })
            }
        }
    })
    .await
}

/// Runs a `tenant trust` command.
async fn trust(auth: &AuthService, command: &TrustCommand, json: bool) -> anyhow::Result<String> {
    match command {
        TrustCommand::Add {
            tenant,
            issuer,
            audience,
            jwks_url,
            jwks_file,
        } => {
            let jwks = match (jwks_url, jwks_file) {
                (Some(url), None) => JwksLocation::Url(url.clone()),
                (None, Some(file)) => JwksLocation::Inline(
                    std::fs::read_to_string(file)
                        .with_context(|| format!("cannot read {}", file.display()))?,
                ),
                _ => {
                    return Err(UsageError(
                        "give exactly one of --jwks-url and --jwks-file".into(),
                    )
                    .into());
                }
            };
            let added = auth
                .add_trust(tenant, issuer, audience, jwks)
                .await
                .map_err(core)?;
            Ok(if json {
                json_text(&trust_json(&added))
            } else {
                format!(
                    "Tenant {tenant} now trusts JWTs from {} for audience {} (trust {}).\n",
                    added.issuer, added.audience, added.id
                )
            })
        }
        TrustCommand::List { tenant } => {
            let trusts = auth.trusts(tenant).await.map_err(core)?;
            Ok(if json {
                json_text(&Value::Array(trusts.iter().map(trust_json).collect()))
            } else if trusts.is_empty() {
                format!("Tenant {tenant} trusts no external issuer.\n")
            } else {
                table(
                    &["ISSUER", "AUDIENCE", "KEYS", "CREATED", "ID"],
                    trusts
                        .iter()
                        .map(|t| {
                            vec![
                                t.issuer.clone(),
                                t.audience.clone(),
                                match &t.jwks {
                                    JwksLocation::Url(url) => url.clone(),
                                    JwksLocation::Inline(_) => "(stored JWKS)".to_owned(),
                                },
                                time(t.created),
                                t.id.clone(),
                            ]
                        })
                        .collect(),
                )
            })
        }
        TrustCommand::Remove { tenant, issuer } => {
            let removed = auth.remove_trust(tenant, issuer).await.map_err(core)?;
            Ok(if json {
                json_text(&removed_trusts_json(&removed))
            } else {
                format!(
                    "Tenant {tenant} no longer trusts {issuer} ({} audience(s)).\n",
                    removed.len()
                )
            })
        }
    }
}

fn client_status(client: &Client) -> &'static str {
    if client.revoked.is_some() {
        "revoked"
    } else {
        "active"
    }
}

/// A client without anything secret.
pub(crate) fn client_json(client: &Client) -> Value {
    json!({
        "clientId": client.id,
        "name": client.name,
        "created": time(client.created),
        "revoked": client.revoked.map(time),
        "status": client_status(client),
    })
}

/// A trusted issuer; an inline JWKS only as `jwksStored`.
pub(crate) fn trust_json(trust: &JwtTrust) -> Value {
    let (url, stored) = match &trust.jwks {
        JwksLocation::Url(url) => (Some(url.as_str()), false),
        JwksLocation::Inline(_) => (None, true),
    };
    json!({
        "id": trust.id,
        "issuer": trust.issuer,
        "audience": trust.audience,
        "jwksUrl": url,
        "jwksStored": stored,
        "created": time(trust.created),
    })
}

/// A client just made: its id and secret (shown only this once) and
/// what its identity provider is configured with.
pub(crate) fn new_client_json(
    created: &CreatedClient,
    token_endpoint: &str,
    scim_url: &str,
    access_token_minutes: i64,
) -> Value {
    json!({
        "client": client_json(&created.client),
        "clientId": created.client.id,
        "clientSecret": created.secret,
        "tokenEndpoint": token_endpoint,
        "scimUrl": scim_url,
        "accessTokenMinutes": access_token_minutes,
    })
}

/// The trusts `tenant trust remove` ended.
pub(crate) fn removed_trusts_json(removed: &[JwtTrust]) -> Value {
    json!({ "removed": removed.iter().map(trust_json).collect::<Vec<_>>() })
}

/// Opens and migrates the store, runs `work` with an [`AuthService`] over
/// it, and closes the store whatever `work` returned.
async fn with_auth<F, Fut>(settings: &Settings, work: F) -> anyhow::Result<String>
where
    F: FnOnce(Arc<AuthService>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<String>>,
{
    let store = crate::open_and_migrate(settings).await?;
    // The OAuth settings give the issuer a trust must not claim and the
    // access-token lifetime `client create` prints; no JWKS is fetched.
    let auth = Arc::new(
        AuthService::new(
            Arc::new(store.clone()),
            Arc::new(SystemClock),
            Arc::new(UuidV7Ids),
        )
        .with_oauth(settings.oauth()?, None),
    );
    let result = work(auth).await;
    store.close().await.context("cannot close the database")?;
    result
}

/// A core error as the operator sees it: invalid input is a usage error.
fn core(err: scim_core::Error) -> anyhow::Error {
    match err.kind() {
        ErrorKind::InvalidValue => UsageError(err.detail().to_owned()).into(),
        _ => anyhow::Error::new(err),
    }
}

/// The instant `days` days from now.
fn in_days(days: Option<u32>) -> anyhow::Result<Option<DateTime<Utc>>> {
    days.map(|d| {
        Utc::now()
            .checked_add_signed(Duration::days(i64::from(d)))
            .ok_or_else(|| UsageError(format!("{d} days is too far in the future")).into())
    })
    .transpose()
}

/// The SCIM base URL customers configure in their identity provider: the
/// public URL when one is set, else the listening address.
fn scim_url(settings: &Settings) -> String {
    let base_path = settings.base_path.trim_end_matches('/');
    match &settings.public_url {
        Some(origin) => format!("{}{base_path}", origin.trim_end_matches('/')),
        None => format!("http://{}{base_path}", settings.listen),
    }
}

/// What to hand the customer: the URL and the token, shown once.
fn handover(url: &str, token: &str, credential: &Credential) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "SCIM endpoint: {url}");
    let _ = writeln!(
        out,
        "Bearer token (shown only this once; only its hash is stored):"
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "    {token}");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Credential id: {} (expires: {})",
        credential.id,
        credential.expires.map_or_else(|| "never".to_owned(), time)
    );
    out
}

/// `tenant show` and `tenant update`.
fn describe(
    tenant: &Tenant,
    policies: &TenantPolicies,
    tokens: &[Credential],
    json: bool,
) -> String {
    let now = Utc::now();
    let active = tokens
        .iter()
        .filter(|c| c.status(now) == CredentialStatus::Active)
        .count();
    let duplicates = policies.duplicates.map(DuplicatePolicy::as_str);
    let delete_mode = policies.delete_mode.map(DeleteMode::as_str);
    let strictness = policies.strictness.map(strictness_name);
    let idp = policies.idp.map(IdpProfile::as_str);
    // What the tenant's creates answer: its own choice, else its identity
    // provider's, else the server's.
    let effective_duplicates = policies
        .duplicates
        .or_else(|| policies.idp.and_then(IdpProfile::duplicates))
        .unwrap_or_default()
        .as_str();
    if json {
        return json_text(&describe_json(tenant, policies, tokens));
    }
    let choice = |set: Option<&str>, default: &str| match set {
        Some(value) => value.to_owned(),
        None => format!("{default} (server default)"),
    };
    let mut out = String::new();
    let _ = writeln!(out, "name:        {}", tenant.name);
    let _ = writeln!(out, "id:          {}", tenant.id);
    let _ = writeln!(out, "created:     {}", time(tenant.created));
    let _ = writeln!(
        out,
        "idp:         {}",
        choice(idp, IdpProfile::default().as_str())
    );
    let _ = writeln!(
        out,
        "duplicates:  {}",
        match duplicates {
            Some(set) => set.to_owned(),
            None if policies.idp.and_then(IdpProfile::duplicates).is_some() => {
                format!("{effective_duplicates} (the identity provider's)")
            }
            None => format!("{effective_duplicates} (server default)"),
        }
    );
    let _ = writeln!(
        out,
        "delete mode: {}",
        choice(delete_mode, DeleteMode::default().as_str())
    );
    let _ = writeln!(
        out,
        "strictness:  {}",
        choice(strictness, strictness_name(Strictness::default()))
    );
    let _ = writeln!(out, "tokens:      {} ({active} active)", tokens.len());
    for e in &policies.extensions {
        let _ = writeln!(out, "extension:   {} on {}", e.schema.id, e.resource_type);
    }
    out
}

/// `tenant show --json`, and the admin API's tenant document.
pub(crate) fn describe_json(
    tenant: &Tenant,
    policies: &TenantPolicies,
    tokens: &[Credential],
) -> Value {
    let now = Utc::now();
    let active = tokens
        .iter()
        .filter(|c| c.status(now) == CredentialStatus::Active)
        .count();
    let duplicates = policies.duplicates.map(DuplicatePolicy::as_str);
    let delete_mode = policies.delete_mode.map(DeleteMode::as_str);
    let strictness = policies.strictness.map(strictness_name);
    let idp = policies.idp.map(IdpProfile::as_str);
    let effective_duplicates = policies
        .duplicates
        .or_else(|| policies.idp.and_then(IdpProfile::duplicates))
        .unwrap_or_default()
        .as_str();
    json!({
            "tenant": tenant_json(tenant),
            "policies": {
                "duplicates": duplicates,
                "deleteMode": delete_mode,
                "strictness": strictness,
                "idp": idp,
            },
            "effectivePolicies": {
                "duplicates": effective_duplicates,
                "deleteMode": delete_mode.unwrap_or(DeleteMode::default().as_str()),
                "strictness": strictness.unwrap_or(strictness_name(Strictness::default())),
                "idp": idp.unwrap_or(IdpProfile::default().as_str()),
            },
            "tokens": { "total": tokens.len(), "active": active },
            "extensions": policies
                .extensions
                .iter()
                .map(|e| json!({"resourceType": e.resource_type, "schema": e.schema.id}))
                .collect::<Vec<_>>(),
    })
}

fn strictness_name(strictness: Strictness) -> &'static str {
    match strictness {
        Strictness::Lenient => "lenient",
        Strictness::Strict => "strict",
    }
}

pub(crate) fn tenant_json(tenant: &Tenant) -> Value {
    json!({
        "id": tenant.id.as_str(),
        "name": tenant.name,
        "created": time(tenant.created),
    })
}

/// A credential without anything secret: no token, no hash.
pub(crate) fn credential_json(credential: &Credential, now: DateTime<Utc>) -> Value {
    json!({
        "id": credential.id,
        "prefix": credential.prefix,
        "created": time(credential.created),
        "expires": credential.expires.map(time),
        "revoked": credential.revoked.map(time),
        "status": credential.status(now).as_str(),
        "replaces": credential.replaces,
    })
}

fn new_token_json(new: &NewToken, previous: Option<&Credential>) -> String {
    json_text(&new_token_value(new, previous))
}

/// A token just made, with its credential (and the one it replaces).
pub(crate) fn new_token_value(new: &NewToken, previous: Option<&Credential>) -> Value {
    let now = Utc::now();
    let mut out = json!({
        "token": new.token.token,
        "credential": credential_json(&new.credential, now),
    });
    if let (Some(previous), Value::Object(map)) = (previous, &mut out) {
        map.insert("previous".to_owned(), credential_json(previous, now));
    }
    out
}

fn json_text(value: &Value) -> String {
    format!("{value:#}\n")
}

/// RFC 3339 in UTC, to the second.
fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Left-aligned columns, two spaces apart.
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let out = table(
            &["ID", "STATUS"],
            vec![
                vec!["a".into(), "active".into()],
                vec!["long-id".into(), "revoked".into()],
            ],
        );
        assert_eq!(out, "ID       STATUS\na        active\nlong-id  revoked\n");
    }

    #[test]
    fn the_scim_url_prefers_the_public_url() {
        let mut s = Settings::with_defaults("d", "127.0.0.1:9000".parse().unwrap());
        assert_eq!(scim_url(&s), "http://127.0.0.1:9000/scim/v2");
        s.public_url = Some("https://scim.example.com/".into());
        assert_eq!(scim_url(&s), "https://scim.example.com/scim/v2");
    }
}
