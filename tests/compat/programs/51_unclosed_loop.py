"""A loop dropped without close() warns (ResourceWarning) and is closed; a
loop that ran and is dropped too."""
import asyncio
import gc
import warnings


def drop(run_it):
    loop = asyncio.new_event_loop()
    if run_it:
        print("ran:", loop.run_until_complete(asyncio.sleep(0, "yes")))
    del loop


for run_it in (False, True):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        drop(run_it)
        gc.collect()
    print("warnings:", [(w.category.__name__, str(w.message).split(" <")[0]) for w in caught])
