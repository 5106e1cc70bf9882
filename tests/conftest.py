import sys
from pathlib import Path

# the generic test actors live beside the tests
sys.path.insert(0, str(Path(__file__).parent))
