//! The emails about accounts and links: sign-up (a welcome with a verification link, or a
//! note to the owner of an email that already has an account), a verification link again,
//! a password reset (a link, or a note that the email has no account), a password changed,
//! and a guest's new bookings link. Where the person who asked is answered alike whatever
//! the outcome, only the inbox learns which it was. Links open the web app at `base_url`.

use super::models::Email;
use crate::identity::{Link, LinkPurpose, Registration, ResetRequest};

fn page(base_url: &str, path: &str) -> String {
    format!("{}/#/{path}", base_url.trim_end_matches('/'))
}

/// The email for a sign-up's outcome; a new account's carries its verification link.
pub fn registration_email(
    from: &str,
    base_url: &str,
    outcome: &Registration,
    verification: Option<&str>,
) -> Email {
    let to = outcome.email().as_str();
    let login = page(base_url, "login");
    match outcome {
        Registration::Created(_) => {
            let mut mail = Email::new(from, to, "Welcome to Stagepass: please verify your email");
            let verify = verification.map_or_else(String::new, |token| {
                format!(
                    "Please confirm this address is yours (the link works for 7 days):\n{}\n\n\
                     Until you do, you can buy tickets but not cancel a booking for a refund.\n\n",
                    Link::url(base_url, LinkPurpose::VerifyEmail, token)
                )
            });
            mail.set_body(format!(
                "Your Stagepass account for {to} is ready.\n\n{verify}\
                 Log in with the password you chose: {login}\n\n\
                 If you did not sign up, you can ignore this email: nobody can use the account \
                 without that password.\n"
            ));
            mail
        }
        Registration::EmailTaken(_) => {
            let mut mail = Email::new(from, to, "Someone tried to sign up with your email");
            mail.set_body(format!(
                "Someone tried to create a Stagepass account for {to}, which already has one. \
                 Nothing was changed.\n\n\
                 If it was you, log in instead: {login}\n\
                 Forgot your password? Reset it: {}\n\n\
                 If it was not you, you need do nothing: your account and password are as they \
                 were.\n",
                page(base_url, "forgot")
            ));
            mail
        }
    }
}

/// A verification link asked for again.
pub fn verification_email(from: &str, base_url: &str, to: &str, token: &str) -> Email {
    let mut mail = Email::new(from, to, "Verify your Stagepass email");
    mail.set_body(format!(
        "Please confirm that {to} is yours (the link works for 7 days):\n{}\n\n\
         If you did not ask for this, you can ignore this email.\n",
        Link::url(base_url, LinkPurpose::VerifyEmail, token)
    ));
    mail
}

/// The answer to a password-reset request, by email only.
pub fn reset_email(from: &str, base_url: &str, request: &ResetRequest) -> Email {
    match request {
        ResetRequest::Link { email, token } => {
            let mut mail = Email::new(from, email.as_str(), "Reset your Stagepass password");
            mail.set_body(format!(
                "Someone (we hope you) asked to reset the password of the Stagepass account \
                 {}.\n\n\
                 Choose a new password here (the link works once, for one hour):\n{}\n\n\
                 Setting it logs you out everywhere. If you did not ask, ignore this email: \
                 your password stays as it is.\n",
                email.as_str(),
                Link::url(base_url, LinkPurpose::ResetPassword, token)
            ));
            mail
        }
        ResetRequest::NoAccount(email) => {
            let mut mail = Email::new(from, email.as_str(), "Stagepass password reset");
            mail.set_body(format!(
                "Someone (we hope you) asked to reset the Stagepass password for {}, but \
                 this email has no Stagepass account. Perhaps you signed up with another \
                 address, or bought as a guest (your confirmation email has a link to your \
                 bookings).\n\n\
                 Sign up: {}\n\n\
                 If you did not ask, you need do nothing.\n",
                email.as_str(),
                page(base_url, "signup")
            ));
            mail
        }
    }
}

/// After a reset: the owner hears of it, in case it was not them.
pub fn password_changed_email(from: &str, base_url: &str, to: &str) -> Email {
    let mut mail = Email::new(from, to, "Your Stagepass password was changed");
    mail.set_body(format!(
        "The password of the Stagepass account {to} was just changed with a reset link, and \
         every session was logged out.\n\n\
         If this was not you, reset it again now: {}\n",
        page(base_url, "forgot")
    ));
    mail
}

/// A guest's new bookings link, after the old one was revoked.
pub fn guest_link_email(from: &str, base_url: &str, to: &str, token: &str) -> Email {
    let mut mail = Email::new(from, to, "Your new Stagepass bookings link");
    mail.set_body(format!(
        "The link to your Stagepass bookings was revoked, as asked. Here is a new one, for \
         you only (anyone with it can see and cancel these bookings):\n{}\n\n\
         It works until a week after the event.\n",
        Link::url(base_url, LinkPurpose::GuestBookings, token)
    ));
    mail
}
