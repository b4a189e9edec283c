//! E-mail through the operator's SMTP server (SHIPSHAPE_SMTP_URL): plain text and HTML, the
//! delivery's message id as `Message-ID` on every attempt.

use std::time::{Duration, Instant};

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::message::Message;
use super::send::{Attempt, Sent};
use crate::config::NotifySettings;

const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends `message` to `to`; the SMTP server's refusals that are permanent are not retried.
pub async fn send(settings: &NotifySettings, to: &str, message_id: &str, message: &Message) -> Attempt {
    let started = Instant::now();
    let sent = send_inner(settings, to, message_id, message).await;
    Attempt { sent, duration: started.elapsed() }
}

async fn send_inner(settings: &NotifySettings, to: &str, message_id: &str, message: &Message) -> Sent {
    let failed = |detail: String| Sent::Failed { status: None, detail };
    let Some(url) = &settings.smtp_url else {
        return failed("this server sends no e-mail any more (SHIPSHAPE_SMTP_URL is not set)".into());
    };
    let (Ok(from), Ok(to)) = (settings.smtp_from.parse::<Mailbox>(), to.parse::<Mailbox>()) else {
        return failed("the sender (SHIPSHAPE_SMTP_FROM) or the recipient is not an e-mail address".into());
    };
    let (subject, text, html) = message.email();
    let email = match lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{message_id}@shipshape>")))
        .multipart(MultiPart::alternative_plain_html(text, html))
    {
        Ok(email) => email,
        Err(e) => return failed(format!("the e-mail could not be written: {e}")),
    };
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose()) {
        Ok(builder) => builder.timeout(Some(SMTP_TIMEOUT)).build(),
        // The URL was checked at start-up; what lettre refuses is the operator's to fix.
        Err(e) => return failed(format!("SHIPSHAPE_SMTP_URL: {e}")),
    };
    match transport.send(email).await {
        Ok(response) => {
            let code = response.code().to_string();
            Sent::Delivered { status: code.parse().unwrap_or(250), excerpt: response.message().collect::<Vec<_>>().join(" ") }
        }
        Err(e) if e.is_permanent() => failed(format!("the mail server refused it: {e}")),
        Err(e) => Sent::Retry { status: None, detail: format!("the mail server: {e}"), retry_after: None },
    }
}
