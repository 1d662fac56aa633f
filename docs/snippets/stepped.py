import tether


async def main() -> str:
    for i in range(3):
        print(f"task: step {i}")
        await tether.lowlevel.checkpoint()
    return "finished"


run = tether.lowlevel.open_stepped_run(main)
try:
    while run.step(max_block=1.0):
        pass  # the host could do its own work between two steps
    print(f"result: {run.outcome.unwrap()!r}")
finally:
    run.close()

# Output:
# task: step 0
# task: step 1
# task: step 2
# result: 'finished'
