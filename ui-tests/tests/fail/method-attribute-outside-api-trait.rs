use restrait::{get, Result};

pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
