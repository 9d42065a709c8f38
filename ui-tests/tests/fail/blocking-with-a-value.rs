use restrait::{api, get, Result};

#[api(base = "https://api.example.com", blocking = true)]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<String>;
}

fn main() {}
