use restrait::{api, Result};

#[api(base = "https://api.example.com")]
pub trait Hub {
    #[graphql("query User($login: String!) { user(login: $login) { name }")]
    async fn user(&self, login: &str) -> Result<String>;
}

fn main() {}
