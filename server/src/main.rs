//! The Abetworks server binary: reads configuration, starts the application, waits for Ctrl-C.

#![recursion_limit = "256"]

use abetworks::config::Config;
use server::{startup::Application, telemetry};

/// `server create-admin --email EMAIL`: reads the password from stdin, creates a super admin.
async fn create_admin(config: &Config, args: &[String]) -> std::process::ExitCode {
    use std::io::BufRead;
    let email = match args {
        [flag, email] if flag == "--email" => email.clone(),
        _ => {
            eprintln!(
                "usage: server create-admin --email EMAIL   (the password is read from stdin)"
            );
            return std::process::ExitCode::from(2);
        }
    };
    let mut password = String::new();
    if std::io::stdin().lock().read_line(&mut password).is_err() {
        eprintln!("abetworks: could not read the password from stdin");
        return std::process::ExitCode::from(2);
    }
    let password = password.trim_end_matches(['\r', '\n']);
    let db = match abetworks::db::connect_and_migrate(&config.database_url).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("abetworks: database: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match abetworks::users::create_super_admin(&db, &email, password).await {
        Ok(user) => {
            println!("created super admin {}", user.email);
            std::process::ExitCode::SUCCESS
        }
        Err(abetworks::CoreError::Validation(issues)) => {
            for issue in issues {
                eprintln!("abetworks: {}: {}", issue.field, issue.message);
            }
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("abetworks: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `server backup --output FILE [--force]` and `server restore --input FILE [--force]`;
/// the work is `abetworks::backup`'s.
async fn backup_or_restore(
    config: &Config,
    command: &str,
    args: &[String],
) -> std::process::ExitCode {
    let file_flag = if command == "backup" {
        "--output"
    } else {
        "--input"
    };
    let Some((file, force)) = file_and_force(file_flag, args) else {
        eprintln!("usage: server {command} {file_flag} FILE [--force]");
        return std::process::ExitCode::from(2);
    };
    let done = if command == "backup" {
        abetworks::backup::backup(&config.database_url, &file, force)
            .await
            .map(|bytes| format!("backup written to {} ({bytes} bytes)", file.display()))
    } else {
        abetworks::backup::restore(&config.database_url, &file, force)
            .await
            .map(|()| {
                format!(
                    "restored {}; the database is migrated and ready",
                    file.display()
                )
            })
    };
    match done {
        Ok(line) => {
            println!("{line}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("abetworks: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `FLAG FILE` and an optional `--force`, in either order; `None` for anything else.
fn file_and_force(file_flag: &str, args: &[String]) -> Option<(std::path::PathBuf, bool)> {
    let (mut file, mut force) = (None, false);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--force" if !force => force = true,
            flag if flag == file_flag && file.is_none() => file = Some(rest.next()?.into()),
            _ => return None,
        }
    }
    Some((file?, force))
}

fn main() -> std::process::ExitCode {
    // Before any thread starts: the runtime's threads take their malloc arenas at their first
    // allocation.
    tune_malloc();
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(serve_or_run_command()),
        Err(e) => {
            eprintln!("abetworks: could not start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc's malloc keeps what the server frees unless told otherwise. After the first large
/// free it raises its mmap threshold, so every sign-in's 19 MiB argon2id block then came from
/// an arena and stayed resident: `make bench` saw the server go from 54 to 254 MB over ten
/// sign-ins while heaptrack counted 45 MB live at the peak. A fixed threshold hands large
/// blocks back to the system when they are freed (at a few page faults per hash), and two
/// arenas keep less idle memory than one per thread (the eight SQLite workers had their own).
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const LARGE_BLOCK_BYTES: libc::c_int = 1 << 20;
        const ARENAS: libc::c_int = 2;
        // SAFETY: mallopt only changes the allocator's settings, and no other thread runs yet.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES);
            libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        }
    }
}

/// How often the server hands the memory it freed back to the system.
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// glibc returns freed memory to the system only from the top of its heaps, so after a burst
/// (a thousand connections at once) the server kept its peak resident for good, and the next
/// burst of another kind (sign-ins, 19 MiB each) came on top of it. `malloc_trim` hands back
/// every free page; once a second it costs little, and a quiet server shrinks to what it uses.
fn give_back_free_memory_periodically() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tokio::spawn(async {
        let mut every = tokio::time::interval(TRIM_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            every.tick().await;
            // SAFETY: malloc_trim only releases free pages; it is safe from any thread.
            let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
        }
    });
}

async fn serve_or_run_command() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("abetworks: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match args.first().map(String::as_str) {
        Some("create-admin") => return create_admin(&config, &args[1..]).await,
        Some(command @ ("backup" | "restore")) => {
            return backup_or_restore(&config, command, &args[1..]).await
        }
        Some("serve") | None => {}
        Some(other) => {
            eprintln!("abetworks: unknown command {other}; use `serve` (default), `create-admin --email EMAIL`, `backup --output FILE` or `restore --input FILE`");
            return std::process::ExitCode::from(2);
        }
    }
    telemetry::init(config.log_format);
    give_back_free_memory_periodically();
    let _error_tracking = telemetry::init_sentry(&config);
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let app = match Application::build(config, &site_root).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("start-up failed: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!("listening on http://{}", app.address());
    if let Err(e) = app.run_until_stopped(telemetry::shutdown_signal()).await {
        tracing::error!("server stopped with an error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
