use restrait::{api, Result};

#[api(base = "https://api.example.com")]
pub trait Hub {
    #[graphql(
        "query UserByLogin($login: String!) { user(login: $login) { name } } query Viewer { viewer { name } }",
        operation = "UserByLogn"
    )]
    async fn user(&self, login: &str) -> Result<()>;
}

fn main() {}
