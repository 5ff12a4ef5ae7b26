raise ValueError("this file is broken on purpose")
