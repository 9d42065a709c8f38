use restrait::{api, Result};

#[api(base = "https://api.example.com")]
pub trait Hub {
    #[graphql("query Repo($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { id } }")]
    async fn repo(&self, owner: &str) -> Result<()>;
}

fn main() {}
