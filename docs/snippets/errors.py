import tether


async def fail_soon() -> None:
    await tether.sleep(0.1)
    raise ValueError("something went wrong")


async def long_job() -> None:
    try:
        await tether.sleep(10)
    except tether.Cancelled:
        print("long_job: cancelled because a sibling failed")
        raise  # always let Cancelled propagate


async def main() -> None:
    try:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail_soon)
            nursery.start_soon(long_job)
    except* ValueError as group:
        for error in group.exceptions:
            print(f"main: caught {error!r}")


if __name__ == "__main__":
    tether.run(main)

# Output:
# long_job: cancelled because a sibling failed
# main: caught ValueError('something went wrong')
