//! `shipshape serve`: the HTTP server hosting the Leptos app, its server functions and `/healthz`.

use std::path::PathBuf;
use std::sync::Arc;

use app::backend::SharedBackend;
use app::{App, shell};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;

use crate::config::Config;
use crate::http::Limits;
use crate::page_cache::PageCache;
use crate::services::Services;
use crate::store::{self, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr} (SHIPSHAPE_LISTEN): {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
}

/// Builds the whole application router over an opened store, with the default [`Limits`].
pub fn router(services: Arc<Services>, site_root: PathBuf, config: &Config) -> Router {
    router_with(services, site_root, config, &Limits::default())
}

pub fn router_with(services: Arc<Services>, site_root: PathBuf, config: &Config, limits: &Limits) -> Router {
    let listen = config.listen;
    let pages = PageCache::new(services.store.clone(), config.page_cache);
    let options = LeptosOptions::builder()
        .output_name(Arc::from("shipshape"))
        .site_root(Arc::from(site_root.to_string_lossy().as_ref()))
        .site_pkg_dir(Arc::from("pkg"))
        .site_addr(listen)
        .build();
    let backend: SharedBackend = services.clone();
    let context = move || {
        provide_context(backend.clone());
        crate::http::headers::provide_nonce();
    };
    let routes = app_routes();

    let leptos = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context::<LeptosOptions, _>(context, shell))
        .with_state(options);

    let secure_cookies = config.public_url.as_ref().is_some_and(|u| u.https);
    let forms = crate::http::account_forms::Forms::new(services.clone(), secure_cookies);
    let identify = crate::http::caller::Identify { services: services.clone(), public_url: config.public_url.clone() };
    let routes = crate::http::router(services.clone(), limits)
        .merge(crate::http::account_api::routes(services.clone()))
        .merge(crate::http::notify_api::routes(services))
        .merge(crate::http::notify_forms::routes(forms.clone()))
        .merge(crate::http::account_forms::routes(forms))
        .merge(leptos)
        // Innermost: the routes take any body type, the middleware above them only axum's.
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes));
    // Around the router as one service, not with `Router::layer`: that wraps every route in its
    // own stack, each layer boxed, and clones the matched route's whole stack (an allocation per
    // layer) for every request; a cached badge spent a fifth of its time in malloc and free.
    let edge = tower::ServiceBuilder::new()
        // Outermost, so every answer has them (a refused body, a kept page, a static file).
        .layer(axum::middleware::from_fn(crate::http::headers::secure))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(config.trusted_proxies.clone(), crate::http::client::record))
        .layer(axum::middleware::from_fn(open_submitted_reference))
        // Before the page cache and every route: who is asking, and is a state change same-origin.
        .layer(axum::middleware::from_fn_with_state(identify, crate::http::caller::identify))
        .layer(axum::middleware::from_fn_with_state(pages, crate::page_cache::serve))
        .service(routes);
    Router::new().fallback_service(edge)
}

/// The app's route list, generated once per process. Generating it sets a process-wide flag in
/// leptos_server (`SuppressResourceLoad`, leptos#4773) under which a resource first polled on any
/// thread waits forever: a second router built while the first serves pages (tests, a reload) hung
/// an image page now and then (3 runs in 30 of `http_hardening`).
fn app_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The home page's form is a plain GET without JavaScript: a valid `/?ref=…` opens the image's
/// page; an invalid one renders the home page with the reason.
async fn open_submitted_reference(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request.method() == axum::http::Method::GET && request.uri().path() == "/" {
        let query = request.uri().query().unwrap_or("");
        let submitted =
            url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "ref").map(|(_, v)| v.into_owned());
        if let Some(reference) = submitted.and_then(|r| app::reference::ImageReference::parse(&r).ok()) {
            return axum::response::Redirect::to(&format!("/images/{reference}")).into_response();
        }
    }
    next.run(request).await
}

pub async fn run(config: Config, site_root: PathBuf) -> Result<(), ServeError> {
    let store = store::open(&config.database_url).await?;
    tracing::info!(database = %config.database_url, site = %site_root.display(), "store ready");
    // A missing or wrong key stops start-up here, naming it, rather than at a user's first credential.
    let secret_key = crate::secrets::load(&config, &store).await?;
    let services = Arc::new(Services::new(store, &config).with_secret_key(secret_key));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // One signal stops both at once: running jobs are handed back while HTTP drains (open responses,
    // such as a scan's event stream, get `listen`'s drain time, then their connections are closed).
    let signalled = shutdown_signal();
    tokio::spawn(async move {
        signalled.await;
        let _ = stop.send(true);
    });
    let http_stopped = {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    let worker = config.worker.then(|| {
        let runner = crate::worker::runner(&services, &config);
        tokio::spawn(runner.run(stopped))
    });
    tokio::spawn(prune_sessions(services.accounts.clone()));
    let limits = Limits::default();
    let app = router_with(services, site_root, &config, &limits);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind { addr: config.listen, source })?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    crate::http::listen::serve(listener, app, &limits, http_stopped).await;
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    Ok(())
}

/// Sessions end by themselves when next presented; those never presented again are deleted here,
/// hourly (each replica does it: the delete is idempotent).
async fn prune_sessions(accounts: crate::auth::Accounts) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        match accounts.prune_sessions().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "ended sessions deleted"),
            Err(e) => tracing::warn!(error = %e, "could not delete ended sessions"),
        }
    }
}

/// `shipshape worker`: the job loops without HTTP, until SIGINT or SIGTERM.
pub async fn run_worker(config: Config) -> Result<(), ServeError> {
    let store = store::open(&config.database_url).await?;
    // The key opens the credentials of users whose private images are queued for a scan.
    let secret_key = crate::secrets::load(&config, &store).await?;
    let services = Services::new(store, &config).with_secret_key(secret_key);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let signalled = shutdown_signal();
    let runner = crate::worker::runner(&services, &config);
    let worker = tokio::spawn(runner.run(stopped));
    signalled.await;
    let _ = stop.send(true);
    let _ = worker.await;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: a signal that arrives while a job is already claimed must reach the
/// graceful path, not the default disposition that kills the process with the job still leased.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    };
    async move {
        #[cfg(unix)]
        match signals {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {},
                    _ = interrupt.recv() => {},
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    }
}
