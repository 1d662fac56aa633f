import tether


async def main() -> None:
    print("hello...")
    await tether.sleep(1)
    print("...world")


if __name__ == "__main__":
    tether.run(main)

# Output:
# hello...
# ...world
