class TestGradcam():
    pass
