//! The `scim-server` binary: parse settings, start, serve until a signal.

use std::process::ExitCode;

use scim_core::BootstrapOutcome;
use scim_server::{Cli, Command, ConfigCommand, LoadError, LogFormat, Server, admin, migrate};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = match Cli::load() {
        Ok(cli) => cli,
        Err(LoadError::Usage(err)) => err.exit(),
        Err(LoadError::Config(err)) => {
            eprintln!("scim-server: {err:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(cli.settings.log_format);
    if let Err(err) = cli.settings.validate() {
        eprintln!("scim-server: {err:#}");
        return ExitCode::from(2);
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&cli.settings).await,
        Command::Migrate => migrate(&cli.settings).await,
        Command::Tenant(command) => admin::tenant(&cli.settings, &command, cli.json)
            .await
            .map(|out| print!("{out}")),
        Command::Token(command) => admin::token(&cli.settings, &command, cli.json)
            .await
            .map(|out| print!("{out}")),
        Command::Config(ConfigCommand::Check) => {
            admin::config_check(&cli.settings, &cli.sources, cli.json).map(|out| print!("{out}"))
        }
        Command::Webhook(command) => admin::webhook(&cli.settings, &command, cli.json)
            .await
            .map(|out| print!("{out}")),
        Command::Events(args) => admin::events(&cli.settings, &args, cli.json)
            .await
            .map(|out| print!("{out}")),
        Command::Audit(args) => admin::audit(&cli.settings, &args, cli.json)
            .await
            .map(|out| print!("{out}")),
        Command::Purge(args) => admin::purge(&cli.settings, &args, cli.json)
            .await
            .map(|out| print!("{out}")),
        Command::Client(command) => admin::client(&cli.settings, &command, cli.json)
            .await
            .map(|out| print!("{out}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("scim-server: {err:#}");
            if err.downcast_ref::<admin::UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

async fn serve(settings: &scim_server::Settings) -> anyhow::Result<()> {
    let server = Server::start(settings).await?;
    match server.bootstrap() {
        BootstrapOutcome::Created {
            generated: Some(issued),
            ..
        } => {
            println!("Created the default tenant. Its bearer token is shown only this once:");
            println!();
            println!("    {}", issued.token);
            println!();
        }
        BootstrapOutcome::Created {
            generated: None, ..
        } => {
            println!("Created the default tenant with the token from SCIM_BOOTSTRAP_TOKEN.");
        }
        BootstrapOutcome::Existing(_) => {}
    }
    println!("SCIM endpoint: {}", server.base_url());
    server.serve(shutdown_signal()).await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
