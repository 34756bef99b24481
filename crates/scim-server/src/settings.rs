//! Settings from flags and environment variables.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};
use scim_schema::{ResourceType, ResourceTypeDef, SchemaDef};

/// SCIM 2.0 provisioning server.
///
/// With no settings at all it serves on 127.0.0.1:8080 and stores its data
/// in an SQLite file under ./data. On first start it creates the `default`
/// tenant and prints its bearer token once.
#[derive(Debug, Parser)]
#[command(name = "scim-server", version, about, long_about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Print machine-readable JSON instead of text (tenant and token
    /// commands).
    #[arg(long, global = true)]
    pub json: bool,

    /// The server settings.
    #[command(flatten)]
    pub settings: Settings,
}

/// Subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve the SCIM API (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Administer tenants (customer directories): create, list, show,
    /// update, delete.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Administer a tenant's bearer tokens: issue, list, revoke, rotate.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Administer a tenant's OAuth clients (client credentials grant):
    /// create, list, revoke.
    #[command(subcommand)]
    Client(ClientCommand),
}

/// `scim-server client ...`: a tenant's OAuth clients, which trade their
/// secret for short-lived access tokens at `POST /oauth/token`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ClientCommand {
    /// Create a client and print its id and secret, once.
    Create {
        /// The tenant's name.
        tenant: String,
        /// A label for the client, e.g. the identity provider's name.
        #[arg(long, default_value = "client")]
        name: String,
    },
    /// List a tenant's clients (never their secrets).
    List {
        /// The tenant's name.
        tenant: String,
    },
    /// Revoke a client: its secret and every access token issued to it
    /// stop working at once.
    Revoke {
        /// The tenant's name.
        tenant: String,
        /// The client id, as `client list` shows it.
        client_id: String,
    },
}

/// `scim-server tenant trust ...`: external token issuers whose JWTs
/// authenticate as the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum TrustCommand {
    /// Trust JWTs with this issuer and audience, signed by a key of the
    /// given JWKS (a URL, fetched and cached, or a file stored as is).
    Add {
        /// The tenant's name.
        tenant: String,
        /// The exact `iss` claim of the tokens.
        #[arg(long)]
        issuer: String,
        /// The `aud` value the tokens must carry.
        #[arg(long)]
        audience: String,
        /// The issuer's JWKS URL (https://...).
        #[arg(
            long,
            conflicts_with = "jwks_file",
            required_unless_present = "jwks_file"
        )]
        jwks_url: Option<String>,
        /// A JWKS JSON file, stored with the trust (for issuers without a
        /// reachable JWKS URL). Replace the trust to rotate its keys.
        #[arg(long)]
        jwks_file: Option<PathBuf>,
    },
    /// List the issuers a tenant trusts.
    List {
        /// The tenant's name.
        tenant: String,
    },
    /// Stop trusting an issuer (every audience): its tokens stop working
    /// at once.
    Remove {
        /// The tenant's name.
        tenant: String,
        /// The issuer, as `tenant trust list` shows it.
        #[arg(long)]
        issuer: String,
    },
}

/// `scim-server tenant ...`: tenants, in the configured database.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and print its first bearer token, once.
    Create {
        /// The tenant's name: 1 to 64 characters among a-z, 0-9, '-', '_'
        /// and '.'.
        name: String,
        /// Days until the first token expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        token_expires_in_days: Option<u32>,
    },
    /// List every tenant, oldest first.
    List,
    /// Show a tenant: its policies and how many tokens it has.
    Show {
        /// The tenant's name.
        name: String,
    },
    /// Change a tenant's provisioning policies; choices not given stay.
    Update {
        /// The tenant's name.
        name: String,
        /// What a create whose userName is taken answers.
        #[arg(long, value_enum)]
        duplicates: Option<DuplicatesArg>,
        /// Whether DELETE keeps records (soft) or removes them (hard).
        #[arg(long, value_enum)]
        delete_mode: Option<DeleteModeArg>,
        /// Whether unknown attributes are dropped (lenient) or refused (strict).
        #[arg(long, value_enum)]
        strictness: Option<StrictnessArg>,
        /// The identity provider that provisions the tenant: picks, among
        /// the answers the RFCs allow, the ones it documents (entra and
        /// okta: 204 for group PATCH; okta: 409 for any repeated create).
        #[arg(long, value_enum)]
        idp: Option<IdpArg>,
    },
    /// Schema extensions the tenant adds to a resource type, e.g. its own
    /// urn:example:...:User attributes.
    #[command(subcommand)]
    Extension(ExtensionCommand),
    /// External token issuers whose JWTs authenticate as the tenant.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Delete a tenant with ALL its data: tokens, users, groups, events.
    Delete {
        /// The tenant's name.
        name: String,
        /// Confirm the deletion; without it nothing is deleted.
        #[arg(long)]
        yes: bool,
    },
}

/// `scim-server tenant extension ...`: one tenant's schema extensions.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ExtensionCommand {
    /// Add a schema extension (a SCIM schema JSON file, RFC 7643 §7) to
    /// one of the tenant's resource types; it takes effect at once, on
    /// every replica. Adding a schema the tenant has replaces it.
    Add {
        /// The tenant's name.
        tenant: String,
        /// The schema JSON file.
        file: PathBuf,
        /// The resource type it extends, by name.
        #[arg(long, default_value = "User")]
        resource_type: String,
        /// Resources of the type must carry the extension.
        #[arg(long)]
        required: bool,
    },
    /// List the tenant's schema extensions.
    List {
        /// The tenant's name.
        tenant: String,
    },
    /// Remove a schema extension from the tenant. Stored values stay in
    /// the resources but are no longer returned, filtered or validated.
    Remove {
        /// The tenant's name.
        tenant: String,
        /// The schema id (URN).
        schema: String,
    },
}

/// `scim-server token ...`: a tenant's bearer tokens.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum TokenCommand {
    /// Issue another token for a tenant and print it, once.
    Issue {
        /// The tenant's name.
        tenant: String,
        /// Days until the token expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        expires_in_days: Option<u32>,
    },
    /// List a tenant's tokens (never the tokens themselves).
    List {
        /// The tenant's name.
        tenant: String,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The tenant's name.
        tenant: String,
        /// The credential id, as `token list` shows it.
        credential_id: String,
    },
    /// Replace a token by a new one; the old one keeps working during a
    /// grace period, then stops.
    Rotate {
        /// The tenant's name.
        tenant: String,
        /// The credential id, as `token list` shows it.
        credential_id: String,
        /// Hours the old token keeps working (0: it stops at once).
        #[arg(long, default_value_t = 24)]
        grace_hours: u32,
        /// Days until the new token expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        expires_in_days: Option<u32>,
    },
}

/// `--duplicates`: a tenant's [`scim_core::DuplicatePolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DuplicatesArg {
    /// The same non-empty externalId is a retried create and gets the
    /// stored user; any other collision is 409 (the server's default).
    ReturnSameExternalId,
    /// Always 409 uniqueness.
    Conflict,
    /// Always answer with the stored user.
    ReturnExisting,
    /// Unset: use the server's default.
    Default,
}

/// `--delete-mode`: a tenant's [`scim_core::DeleteMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeleteModeArg {
    /// Keep deleted records, marked deleted (the server's default).
    Soft,
    /// Remove records at once.
    Hard,
    /// Unset: use the server's default.
    Default,
}

/// `--strictness`: a tenant's [`scim_schema::Strictness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrictnessArg {
    /// Drop unknown attributes (the server's default).
    Lenient,
    /// Refuse requests with unknown attributes (400 invalidSyntax).
    Strict,
    /// Unset: use the server's default.
    Default,
}

/// `--idp`: a tenant's [`scim_core::IdpProfile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdpArg {
    /// No particular provider: the RFCs' preferred answers.
    Generic,
    /// Microsoft Entra ID.
    Entra,
    /// Okta.
    Okta,
    /// OneLogin.
    Onelogin,
    /// JumpCloud.
    Jumpcloud,
    /// PingOne.
    Pingone,
    /// Rippling.
    Rippling,
    /// Google Workspace.
    Google,
    /// Unset: generic.
    Default,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything the server can be told.
#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    /// Address and port to listen on.
    #[arg(
        long,
        global = true,
        env = "SCIM_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,

    /// Database URL: sqlite://PATH?mode=rwc, postgres://USER@HOST/DB or
    /// mysql://USER:PASSWORD@HOST/DB. Default: an SQLite file in the data folder.
    #[arg(long, global = true, env = "SCIM_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Folder for the embedded SQLite database; created if missing.
    #[arg(long, global = true, env = "SCIM_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Token the `default` tenant gets on first start instead of a generated
    /// one (for automation). Ignored once the tenant exists. Prefer the
    /// environment variable: flags show up in process listings.
    #[arg(long, env = "SCIM_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub bootstrap_token: Option<String>,

    /// Externally visible origin used in Location headers and meta.location,
    /// e.g. https://scim.example.com. Default: taken from the Host header.
    #[arg(long, global = true, env = "SCIM_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Path under which the SCIM endpoints are served.
    #[arg(
        long,
        global = true,
        env = "SCIM_BASE_PATH",
        default_value = "/scim/v2"
    )]
    pub base_path: String,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "SCIM_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Log format.
    #[arg(long, env = "SCIM_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Requests per second each tenant may make, sustained; 0 turns the
    /// limit off. Above it, requests answer 429 with Retry-After.
    #[arg(long, env = "SCIM_RATE_LIMIT_PER_SECOND", default_value_t = 100)]
    pub rate_limit_per_second: u32,

    /// Requests a tenant may make at once above the sustained rate.
    #[arg(long, env = "SCIM_RATE_LIMIT_BURST", default_value_t = 200)]
    pub rate_limit_burst: u32,

    /// Seconds a request may take before it is abandoned (503; its
    /// transaction rolls back).
    #[arg(long, env = "SCIM_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Minutes the OAuth access tokens of POST /oauth/token are valid
    /// (5 to 1440).
    #[arg(
        long,
        env = "SCIM_ACCESS_TOKEN_MINUTES",
        default_value_t = scim_core::DEFAULT_ACCESS_TOKEN_MINUTES,
        value_parser = clap::value_parser!(u32).range(
            i64::from(scim_core::MIN_ACCESS_TOKEN_MINUTES)..=i64::from(scim_core::MAX_ACCESS_TOKEN_MINUTES)
        )
    )]
    pub access_token_minutes: u32,

    /// The `iss` of this server's OAuth access tokens. Default: the public
    /// URL, else http:// and the listen address. Replicas must agree.
    #[arg(long, global = true, env = "SCIM_OAUTH_ISSUER")]
    pub oauth_issuer: Option<String>,

    /// Seconds a trusted issuer's fetched JWKS is used before it is
    /// fetched again.
    #[arg(long, env = "SCIM_JWKS_CACHE_SECS", default_value_t = 600)]
    pub jwks_cache_secs: u64,

    /// Least seconds between two fetches of one JWKS URL: a token naming
    /// an unknown key id refetches at most this often.
    #[arg(long, env = "SCIM_JWKS_REFETCH_SECS", default_value_t = 30)]
    pub jwks_refetch_secs: u64,

    /// Requests served at once; more answer 503 with Retry-After.
    #[arg(long, env = "SCIM_MAX_CONCURRENT_REQUESTS", default_value_t = 512)]
    pub max_concurrent_requests: usize,

    /// Operations one /Bulk request may carry (advertised as
    /// bulk.maxOperations); more answer 413. 0 switches /Bulk off.
    #[arg(long, env = "SCIM_BULK_MAX_OPERATIONS", default_value_t = 1000)]
    pub bulk_max_operations: usize,

    /// Largest accepted /Bulk request body, in bytes (advertised as
    /// bulk.maxPayloadSize).
    #[arg(long, env = "SCIM_BULK_MAX_PAYLOAD_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub bulk_max_payload_bytes: usize,

    /// SCIM schema JSON files (RFC 7643 §7) of extensions Users may carry,
    /// e.g. urn:example:params:scim:schemas:extension:acme:2.0:User.
    /// Repeat the flag, or separate paths with commas in the variable.
    #[arg(
        long = "user-extension",
        env = "SCIM_USER_EXTENSIONS",
        value_delimiter = ','
    )]
    pub user_extensions: Vec<PathBuf>,

    /// SCIM schema JSON files (RFC 7643 §7) for --resource-type: each holds
    /// one schema, an array of schemas or a ListResponse of them. Repeat
    /// the flag, or separate paths with commas in the variable.
    #[arg(long = "schema", env = "SCIM_SCHEMAS", value_delimiter = ',')]
    pub schema_files: Vec<PathBuf>,

    /// Resource type JSON files (RFC 7643 §6): each holds one resource type
    /// or an array of them, whose schemas come from --schema. A new name is
    /// a resource type served at its endpoint; `User` or `Group` adds its
    /// schemaExtensions to the built-in type.
    #[arg(
        long = "resource-type",
        env = "SCIM_RESOURCE_TYPES",
        value_delimiter = ','
    )]
    pub resource_type_files: Vec<PathBuf>,
}

impl Settings {
    /// Settings as if the server were started with no flags and no
    /// environment, but storing in `data_dir` and listening on `listen`.
    pub fn with_defaults(data_dir: impl Into<PathBuf>, listen: SocketAddr) -> Self {
        Settings {
            listen,
            database_url: None,
            data_dir: data_dir.into(),
            bootstrap_token: None,
            public_url: None,
            base_path: "/scim/v2".to_owned(),
            max_body_bytes: 1024 * 1024,
            log_format: LogFormat::Text,
            rate_limit_per_second: 100,
            rate_limit_burst: 200,
            request_timeout_secs: 30,
            max_concurrent_requests: 512,
            access_token_minutes: scim_core::DEFAULT_ACCESS_TOKEN_MINUTES,
            oauth_issuer: None,
            jwks_cache_secs: 600,
            jwks_refetch_secs: 30,
            bulk_max_operations: 1000,
            bulk_max_payload_bytes: 4 * 1024 * 1024,
            user_extensions: Vec::new(),
            schema_files: Vec::new(),
            resource_type_files: Vec::new(),
        }
    }

    /// Checks settings that clap cannot check alone.
    pub fn validate(&mut self) -> anyhow::Result<()> {
        let trimmed = self.base_path.trim_end_matches('/');
        if !trimmed.is_empty() && !trimmed.starts_with('/') {
            bail!("--base-path must start with '/', got {:?}", self.base_path);
        }
        self.base_path = trimmed.to_owned();
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("--public-url must start with http:// or https://, got {url:?}");
        }
        if self.request_timeout_secs == 0 || self.max_concurrent_requests == 0 {
            bail!("--request-timeout-secs and --max-concurrent-requests must be at least 1");
        }
        if self.oauth_issuer.as_deref().is_some_and(str::is_empty) {
            bail!("--oauth-issuer must not be empty");
        }
        self.oauth()?;
        if self
            .bootstrap_token
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            bail!("SCIM_BOOTSTRAP_TOKEN is set but empty");
        }
        Ok(())
    }

    /// The `iss` of this server's access tokens: `oauth_issuer`, else the
    /// public URL, else `http://` and the listen address.
    pub fn issuer(&self) -> String {
        match (&self.oauth_issuer, &self.public_url) {
            (Some(issuer), _) => issuer.clone(),
            (None, Some(origin)) => origin.trim_end_matches('/').to_owned(),
            (None, None) => format!("http://{}", self.listen),
        }
    }

    /// The URL of the OAuth token endpoint, as clients reach it.
    pub fn token_endpoint(&self) -> String {
        match &self.public_url {
            Some(origin) => format!("{}/oauth/token", origin.trim_end_matches('/')),
            None => format!("http://{}/oauth/token", self.listen),
        }
    }

    /// The OAuth settings of the core.
    pub fn oauth(&self) -> anyhow::Result<scim_core::OAuthConfig> {
        let lifetime = scim_core::OAuthConfig::lifetime_minutes(self.access_token_minutes)
            .map_err(|e| anyhow::anyhow!("--access-token-minutes: {e}"))?;
        let seconds = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX));
        Ok(scim_core::OAuthConfig {
            issuer: self.issuer(),
            access_token_lifetime: lifetime,
            jwks_cache_ttl: seconds(self.jwks_cache_secs),
            jwks_refetch_interval: seconds(self.jwks_refetch_secs),
            ..scim_core::OAuthConfig::default()
        })
    }

    /// Each tenant's request budget, or `None` when the limit is off.
    pub fn rate_limit(&self) -> Option<scim_http::RateLimit> {
        let per_second = NonZeroU32::new(self.rate_limit_per_second)?;
        Some(scim_http::RateLimit {
            per_second,
            // A burst below the rate would throttle the rate itself.
            burst: NonZeroU32::new(self.rate_limit_burst.max(self.rate_limit_per_second))
                .unwrap_or(per_second),
        })
    }

    /// The resource types served: Users (the core schema, the Enterprise
    /// User extension and the extensions of `user_extensions`), Groups,
    /// then the types of `resource_type_files`, in order.
    pub fn resource_types(&self) -> anyhow::Result<Vec<ResourceType>> {
        let mut users = ResourceType::user();
        for path in &self.user_extensions {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the schema file {}", path.display()))?;
            let schema: SchemaDef = serde_json::from_str(&text).with_context(|| {
                format!("{} is not a SCIM schema (RFC 7643 §7)", path.display())
            })?;
            schema
                .check()
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            if users.knows_schema(&schema.id) {
                bail!(
                    "{}: the schema {} is defined twice",
                    path.display(),
                    schema.id
                );
            }
            users = users.with_extension(schema, false);
        }
        let mut types = vec![users, ResourceType::group()];
        let mut schemas: Vec<SchemaDef> = Vec::new();
        for path in &self.schema_files {
            for schema in read_documents::<SchemaDef>(path, "SCIM schema (RFC 7643 §7)")? {
                if schemas
                    .iter()
                    .any(|s| s.id.eq_ignore_ascii_case(&schema.id))
                {
                    bail!(
                        "{}: the schema {} is defined twice",
                        path.display(),
                        schema.id
                    );
                }
                schemas.push(schema);
            }
        }
        for path in &self.resource_type_files {
            let documents =
                read_documents::<ResourceTypeDef>(path, "SCIM resource type (RFC 7643 §6)")?;
            for definition in documents {
                add_resource_type(&mut types, &definition, &schemas)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            }
        }
        Ok(types)
    }

    /// The database URL to connect to. Without one, the embedded SQLite
    /// file `scim.db` in the data folder, which is created if missing.
    pub fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!("cannot create the data folder {}", self.data_dir.display())
        })?;
        let dir = self.data_dir.canonicalize().with_context(|| {
            format!("cannot resolve the data folder {}", self.data_dir.display())
        })?;
        let file = dir.join("scim.db");
        let path = file
            .to_str()
            .with_context(|| format!("the data folder path is not UTF-8: {}", dir.display()))?;
        Ok(format!("sqlite://{path}?mode=rwc"))
    }

    /// The database URL with any password replaced, for messages.
    pub fn redacted_database_url(&self) -> String {
        match &self.database_url {
            None => format!("{}/scim.db", self.data_dir.display()),
            Some(url) => redact(url),
        }
    }
}

/// Replaces the password of `scheme://user:password@host/...` with `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Endpoints the protocol reserves (RFC 7644 §3.2), which no configured
/// resource type may take.
const RESERVED_ENDPOINTS: [&str; 7] = [
    "/Users",
    "/Groups",
    "/Me",
    "/Bulk",
    "/Schemas",
    "/ResourceTypes",
    "/ServiceProviderConfig",
];

/// Adds a resource type document to `types`: a new type, or for `User`
/// and `Group`, their extensions.
fn add_resource_type(
    types: &mut Vec<ResourceType>,
    definition: &ResourceTypeDef,
    schemas: &[SchemaDef],
) -> Result<(), String> {
    let builtin = types
        .iter_mut()
        .take(2)
        .find(|t| t.name.eq_ignore_ascii_case(&definition.name));
    if let Some(builtin) = builtin {
        if !definition.endpoint.eq_ignore_ascii_case(&builtin.endpoint)
            || !definition.schema.eq_ignore_ascii_case(&builtin.schema.id)
        {
            return Err(format!(
                "{} is built in: its endpoint is {} and its schema {}; only schemaExtensions can be added",
                builtin.name, builtin.endpoint, builtin.schema.id
            ));
        }
        for extension in &definition.schema_extensions {
            if builtin.knows_schema(&extension.schema) {
                return Err(format!(
                    "{}: schema {} is named twice",
                    builtin.name, extension.schema
                ));
            }
            let schema = schemas
                .iter()
                .find(|s| s.id.eq_ignore_ascii_case(&extension.schema))
                .ok_or_else(|| {
                    format!(
                        "{}: no schema {} is defined",
                        builtin.name, extension.schema
                    )
                })?;
            schema.check()?;
            *builtin = builtin
                .clone()
                .with_extension(schema.clone(), extension.required);
        }
        return Ok(());
    }
    let resource_type = ResourceType::from_definition(definition, schemas)?;
    if RESERVED_ENDPOINTS
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&resource_type.endpoint))
    {
        return Err(format!(
            "{}: the endpoint {} is reserved by the protocol",
            resource_type.name, resource_type.endpoint
        ));
    }
    if let Some(other) = types.iter().find(|t| {
        t.name.eq_ignore_ascii_case(&resource_type.name)
            || t.endpoint.eq_ignore_ascii_case(&resource_type.endpoint)
    }) {
        return Err(format!(
            "{}: its name or endpoint is taken by the resource type {}",
            resource_type.name, other.name
        ));
    }
    types.push(resource_type);
    Ok(())
}

/// The documents of a JSON file holding one document, an array of them or
/// a ListResponse of them.
fn read_documents<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    what: &str,
) -> anyhow::Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut map) if map.contains_key("Resources") => {
            match map.remove("Resources") {
                Some(serde_json::Value::Array(items)) => items,
                _ => bail!("{}: Resources must be an array", path.display()),
            }
        }
        other => vec![other],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item)
                .with_context(|| format!("{}: document {} is not a {what}", path.display(), i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact("mysql://root:s3cret@127.0.0.1:3306/scim"),
            "mysql://root:***@127.0.0.1:3306/scim"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/scim"),
            "postgres://postgres@127.0.0.1/scim"
        );
        assert_eq!(redact("sqlite://data/scim.db"), "sqlite://data/scim.db");
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let cli = Cli::try_parse_from(["scim-server"]).unwrap();
        assert_eq!(cli.command, None);
        assert_eq!(cli.settings.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(cli.settings.data_dir, PathBuf::from("data"));
        assert_eq!(cli.settings.base_path, "/scim/v2");
    }

    #[test]
    fn admin_commands_take_the_storage_settings_before_or_after_them() {
        let cli = Cli::try_parse_from([
            "scim-server",
            "tenant",
            "update",
            "acme",
            "--delete-mode",
            "hard",
            "--idp",
            "okta",
            "--data-dir",
            "elsewhere",
            "--json",
        ])
        .unwrap();
        assert!(cli.json);
        assert_eq!(cli.settings.data_dir, PathBuf::from("elsewhere"));
        assert_eq!(
            cli.command,
            Some(Command::Tenant(TenantCommand::Update {
                name: "acme".into(),
                duplicates: None,
                delete_mode: Some(DeleteModeArg::Hard),
                strictness: None,
                idp: Some(IdpArg::Okta),
            }))
        );
        let cli =
            Cli::try_parse_from(["scim-server", "--data-dir", "before", "tenant", "list"]).unwrap();
        assert_eq!(cli.settings.data_dir, PathBuf::from("before"));
        assert!(!cli.json);
        let cli = Cli::try_parse_from([
            "scim-server",
            "--database-url",
            "sqlite://x.db",
            "token",
            "rotate",
            "acme",
            "cred-1",
        ])
        .unwrap();
        assert_eq!(cli.settings.database_url.as_deref(), Some("sqlite://x.db"));
        assert_eq!(
            cli.command,
            Some(Command::Token(TokenCommand::Rotate {
                tenant: "acme".into(),
                credential_id: "cred-1".into(),
                grace_hours: 24,
                expires_in_days: None,
            }))
        );
        for refused in [
            &[
                "scim-server",
                "token",
                "issue",
                "acme",
                "--expires-in-days",
                "0",
            ][..],
            &[
                "scim-server",
                "tenant",
                "update",
                "acme",
                "--delete-mode",
                "later",
            ][..],
            &[
                "scim-server",
                "token",
                "rotate",
                "acme",
                "c",
                "--grace-hours",
                "-1",
            ][..],
        ] {
            assert!(Cli::try_parse_from(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn oauth_commands_and_settings_parse_and_are_bounded() {
        let cli = Cli::try_parse_from([
            "scim-server",
            "tenant",
            "trust",
            "add",
            "acme",
            "--issuer",
            "https://sts.windows.net/t/",
            "--audience",
            "api://scim",
            "--jwks-url",
            "https://login.example.com/keys",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Tenant(TenantCommand::Trust(TrustCommand::Add {
                jwks_file: None,
                ..
            })))
        ));
        let cli =
            Cli::try_parse_from(["scim-server", "client", "create", "acme", "--name", "entra"])
                .unwrap();
        assert_eq!(
            cli.command,
            Some(Command::Client(ClientCommand::Create {
                tenant: "acme".into(),
                name: "entra".into()
            }))
        );
        assert_eq!(cli.settings.access_token_minutes, 60);
        for refused in [
            &[
                "scim-server",
                "tenant",
                "trust",
                "add",
                "acme",
                "--issuer",
                "i",
                "--audience",
                "a",
            ][..],
            &[
                "scim-server",
                "tenant",
                "trust",
                "add",
                "acme",
                "--issuer",
                "i",
                "--audience",
                "a",
                "--jwks-url",
                "https://x/k",
                "--jwks-file",
                "k.json",
            ][..],
            &["scim-server", "--access-token-minutes", "4"][..],
            &["scim-server", "--access-token-minutes", "1441"][..],
        ] {
            assert!(Cli::try_parse_from(refused).is_err(), "{refused:?}");
        }
        let mut s = Settings::with_defaults("d", "127.0.0.1:9000".parse().unwrap());
        assert_eq!(s.issuer(), "http://127.0.0.1:9000");
        assert_eq!(s.token_endpoint(), "http://127.0.0.1:9000/oauth/token");
        s.public_url = Some("https://scim.example.com/".into());
        assert_eq!(s.issuer(), "https://scim.example.com");
        assert_eq!(s.token_endpoint(), "https://scim.example.com/oauth/token");
        s.oauth_issuer = Some("urn:example:scim".into());
        assert_eq!(s.oauth().unwrap().issuer, "urn:example:scim");
        s.access_token_minutes = 1441;
        assert!(s.validate().is_err());
    }

    #[test]
    fn a_zero_rate_turns_the_limit_off_and_bursts_cover_the_rate() {
        let mut s = Settings::with_defaults("d", "127.0.0.1:0".parse().unwrap());
        let limit = s.rate_limit().unwrap();
        assert_eq!((limit.per_second.get(), limit.burst.get()), (100, 200));
        s.rate_limit_burst = 5;
        assert_eq!(s.rate_limit().unwrap().burst.get(), 100);
        s.rate_limit_per_second = 0;
        assert_eq!(s.rate_limit(), None);
    }

    #[test]
    fn validation_normalises_and_rejects() {
        let mut s = Settings::with_defaults("d", "127.0.0.1:0".parse().unwrap());
        s.base_path = "/scim/v2/".into();
        s.validate().unwrap();
        assert_eq!(s.base_path, "/scim/v2");
        s.base_path = "scim".into();
        assert!(s.validate().is_err());
        s.base_path = "/scim".into();
        s.public_url = Some("scim.example.com".into());
        assert!(s.validate().is_err());
    }

    #[test]
    fn the_default_database_is_sqlite_in_the_data_folder_which_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested").join("data");
        let s = Settings::with_defaults(&data, "127.0.0.1:0".parse().unwrap());
        let url = s.database_url().unwrap();
        assert!(data.is_dir());
        assert!(url.starts_with("sqlite:///"), "{url}");
        assert!(url.ends_with("/nested/data/scim.db?mode=rwc"), "{url}");
    }
}
