use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("https://api.example.org/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
