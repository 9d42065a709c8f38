use restrait::{get, Result};

#[get("/users")]
async fn users() -> Result<()> {
    Ok(())
}

fn main() {}
