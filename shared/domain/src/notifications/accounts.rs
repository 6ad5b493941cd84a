//! The emails a sign-up sends: a welcome to a new account, or, when the email already had
//! one, a note to its owner. The person signing up is answered alike in both cases, so
//! whether an email has an account is told only to whoever reads that inbox.

use super::models::Email;
use crate::identity::Registration;

/// The email for a sign-up's outcome, from `from`, linking to `base_url` (the API or app).
pub fn registration_email(from: &str, base_url: &str, outcome: &Registration) -> Email {
    let to = outcome.email().as_str();
    let login = format!("{}/auth/login", base_url.trim_end_matches('/'));
    match outcome {
        Registration::Created(_) => {
            let mut mail = Email::new(from, to, "Welcome to Stagepass");
            mail.text = format!(
                "Your Stagepass account for {to} is ready.\n\n\
                 Log in with the password you chose: {login}\n\n\
                 If you did not sign up, you can ignore this email: nobody can use the account \
                 without that password.\n"
            );
            mail
        }
        Registration::EmailTaken(_) => {
            let mut mail = Email::new(from, to, "Someone tried to sign up with your email");
            mail.text = format!(
                "Someone tried to create a Stagepass account for {to}, which already has one. \
                 Nothing was changed.\n\n\
                 If it was you, log in instead: {login}\n\n\
                 If it was not you, you need do nothing: your account and password are as they \
                 were.\n"
            );
            mail
        }
    }
}
