use restrait::{api, get, Result};

#[api(base = "api.example.com/v1")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
