//! The `boussole` command: serve, migrate, create-user, demo.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use boussole::{
    AppState,
    app::{pool, shutdown_signal},
    auth::{db, model},
    config::Config,
    demo, telemetry,
};
use clap::{Parser, Subcommand, ValueEnum};
use sqlx::migrate::MigrateDatabase;

#[derive(Parser)]
#[command(
    name = "boussole",
    version,
    about = "Boussole: steering the digital products of the DNUM"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default)
    Serve,
    /// Apply the database migrations
    Migrate,
    /// Create an account; the password is read from standard input, or prompted for
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Load the demo data (refuses a database holding other data unless --force)
    Demo {
        #[arg(long)]
        force: bool,
        /// Then copy the demo products until the portfolio holds this many (for benchmarks)
        #[arg(long)]
        products: Option<u32>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Editor,
    Reader,
}

impl From<RoleArg> for model::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Self::Admin,
            RoleArg::Editor => Self::Editor,
            RoleArg::Reader => Self::Reader,
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    telemetry::init(config.log_format, &config.log_level);
    let db = pool(&config)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {} (BOUSSOLE_LISTEN)", config.listen))?;
            tracing::info!(address = %config.listen, base_url = %config.base_url, "Boussole is listening");
            boussole::serve(listener, AppState::new(db, config), shutdown_signal()).await?;
        }
        Command::Migrate => {
            if !sqlx::Postgres::database_exists(&config.database_url).await? {
                sqlx::Postgres::create_database(&config.database_url).await?;
                println!("Database created.");
            }
            boussole::MIGRATOR
                .run(&db)
                .await
                .context("migration failed")?;
            println!("Migrations applied.");
        }
        Command::CreateUser { email, name, role } => {
            let email = model::parse_email(&email).map_err(anyhow::Error::msg)?;
            let name = name.trim();
            anyhow::ensure!(!name.is_empty(), "--name must not be empty");
            let password = read_password()?;
            model::check_password_policy(&password).map_err(anyhow::Error::msg)?;
            let hash = model::hash_password(&password)?;
            match db::create_user(&db, &email, name, role.into(), &hash).await {
                Ok(id) => println!("Account {email} created ({id})."),
                Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => {
                    anyhow::bail!("an account with the email {email} already exists")
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Demo { force, products } => {
            match demo::load(&db, force).await? {
                demo::Outcome::Loaded => println!("Demo data loaded."),
                demo::Outcome::AlreadyLoaded => {
                    println!("Demo data already loaded: nothing to do.")
                }
            }
            if let Some(target) = products {
                let added = demo::grow(&db, target).await?;
                println!("{added} products added by copying the demo products.");
            }
        }
    }
    Ok(())
}

/// Prompts twice without echo on a terminal; otherwise reads one line from standard input.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        anyhow::ensure!(password == again, "the two passwords differ");
        Ok(password)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
