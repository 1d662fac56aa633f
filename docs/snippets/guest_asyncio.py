import asyncio

import tether


async def tether_main() -> str:
    for i in range(3):
        print(f"tether: tick {i}")
        await tether.sleep(0.2)
    return "tether is done"


async def asyncio_main() -> None:
    loop = asyncio.get_running_loop()
    done = loop.create_future()  # receives the run's outcome.Outcome

    tether.lowlevel.start_guest_run(
        tether_main,
        run_sync_soon_threadsafe=loop.call_soon_threadsafe,
        run_sync_soon_not_threadsafe=loop.call_soon,
        done_callback=done.set_result,
        host_uses_signal_set_wakeup_fd=True,  # asyncio uses it on the main thread
    )
    await asyncio.sleep(0.1)
    print("asyncio: still responsive while tether runs")
    result = await done
    print("asyncio: guest returned", repr(result.unwrap()))


if __name__ == "__main__":
    asyncio.run(asyncio_main())

# Output:
# tether: tick 0
# asyncio: still responsive while tether runs
# tether: tick 1
# tether: tick 2
# asyncio: guest returned 'tether is done'
