// The part of autocannon's API the load benchmark uses.
declare module 'autocannon' {
  interface Result {
    requests: { total: number; average: number };
    latency: { p99: number; average: number };
    duration: number;
  }
  function autocannon(options: {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
  }): Promise<Result>;
  export default autocannon;
}
