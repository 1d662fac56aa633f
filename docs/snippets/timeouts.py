import tether


async def slow_answer() -> int:
    await tether.sleep(5)
    return 42


async def main() -> None:
    # move_on_after: give up quietly when the time is up.
    with tether.move_on_after(0.5) as scope:
        print("answer:", await slow_answer())
    if scope.cancelled_caught:
        print("gave up after 0.5s")

    # fail_after: give up with an exception.
    try:
        with tether.fail_after(0.5):
            print("answer:", await slow_answer())
    except tether.TooSlowError:
        print("TooSlowError: still no answer")


if __name__ == "__main__":
    tether.run(main)

# Output:
# gave up after 0.5s
# TooSlowError: still no answer
