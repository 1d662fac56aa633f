import tether


async def brew(drink: str, seconds: float) -> None:
    print(f"{drink}: started")
    await tether.sleep(seconds)
    print(f"{drink}: ready after {seconds}s")


async def main() -> None:
    start = tether.current_time()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(brew, "tea", 0.3)
        nursery.start_soon(brew, "coffee", 0.2)
        print("both started; waiting for them")
    # The block only exits when both tasks have finished.
    print(f"all done in {tether.current_time() - start:.1f}s")


if __name__ == "__main__":
    tether.run(main)

# Output:
# both started; waiting for them
# tea: started
# coffee: started
# coffee: ready after 0.2s
# tea: ready after 0.3s
# all done in 0.3s
