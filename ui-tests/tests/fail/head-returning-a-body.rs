use restrait::{api, head, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[head("/users/<id>")]
    async fn exists(&self, id: u64) -> Result<String>;
}

fn main() {}
