// The stages of `npm test`, in the order they run. Each owner adds its stage
// here; keep fast, cheap stages first so a broken build fails early.
export const stages = [
  {
    name: 'header',
    description: 'the shared ioctl header compiles for Linux and Windows user mode',
    command: 'bash driver/include/test-header.sh',
  },
];
