// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ChannelFixture} from "../utils/ChannelFixture.sol";
import {Merkle} from "../utils/Merkle.sol";
import {Balance, ChannelDispute, CoreChannelState, CoreTransferState} from "../../src/interfaces/Types.sol";
import {HashlockTransfer} from "../../src/transfers/HashlockTransfer.sol";

/// @notice Helpers shared by the adjudicator tests: multi-asset states, disputes by both
/// parties' signatures, and merkle roots of transfers.
abstract contract AdjudicatorBase is ChannelFixture {
    address internal carol;
    uint256 internal carolKey;

    function setUp() public virtual override {
        super.setUp();
        (carol, carolKey) = makeAddrAndKey("carol");
    }

    // ---------------------------------------------------------------- arrays

    function addrs(address a) internal pure returns (address[] memory out) {
        out = new address[](1);
        out[0] = a;
    }

    function addrs(address a, address b) internal pure returns (address[] memory out) {
        out = new address[](2);
        out[0] = a;
        out[1] = b;
    }

    function uints(uint256 a) internal pure returns (uint256[] memory out) {
        out = new uint256[](1);
        out[0] = a;
    }

    function uints(uint256 a, uint256 b) internal pure returns (uint256[] memory out) {
        out = new uint256[](2);
        out[0] = a;
        out[1] = b;
    }

    // ---------------------------------------------------------------- states

    /// @dev A state of `channel` over ETH and `token` (in that order), all deposits processed.
    function twoAssetState(uint256 ethA, uint256 ethB, uint256 tokA, uint256 tokB, uint256 nonce)
        internal
        view
        returns (CoreChannelState memory ccs)
    {
        ccs = singleAssetState(ETH, ethA, ethB, nonce);
        ccs.assetIds = addrs(ETH, address(token));
        Balance[] memory balances = new Balance[](2);
        balances[0] = ccs.balances[0];
        balances[1] = twoParty(payable(alice), payable(bob), tokA, tokB);
        ccs.balances = balances;
        ccs.processedDepositsA = uints(ccs.processedDepositsA[0], channel.getTotalDepositsAlice(address(token)));
        ccs.processedDepositsB = uints(ccs.processedDepositsB[0], channel.getTotalDepositsBob(address(token)));
        ccs.defundNonces = uints(1, 1);
    }

    /// @dev Disputes `ccs` with both parties' signatures, without moving time.
    function dispute(CoreChannelState memory ccs) internal {
        channel.disputeChannel(ccs, signState(aliceKey, ccs), signState(bobKey, ccs));
    }

    function currentDispute() internal view returns (ChannelDispute memory) {
        return channel.getChannelDispute();
    }

    /// @dev Moves to the first second after the recorded dispute's defund window.
    function warpPastDefund() internal {
        vm.warp(channel.getChannelDispute().defundExpiry);
    }

    // ---------------------------------------------------------------- transfers

    /// @dev A hashlock transfer of `amount` ETH from alice to bob, locked to `preImage`.
    function aliceToBob(bytes32 transferId, uint256 amount, bytes32 preImage)
        internal
        view
        returns (CoreTransferState memory cts, bytes memory encodedState)
    {
        return hashlockTransfer(transferId, alice, bob, ETH, amount, preImage, 0);
    }

    function hashlockResolver(bytes32 preImage) internal pure returns (bytes memory) {
        return abi.encode(HashlockTransfer.HashlockResolver({preImage: preImage}));
    }

    function leavesOf(CoreTransferState[] memory transfers) internal view returns (bytes32[] memory leaves) {
        leaves = new bytes32[](transfers.length);
        for (uint256 i; i < transfers.length; ++i) {
            leaves[i] = channel.transferStateHash(transfers[i]);
        }
    }

    /// @dev `n` hashlock transfers alice → bob with ids derived from `salt`.
    function manyTransfers(uint256 n, uint256 salt) internal view returns (CoreTransferState[] memory transfers) {
        transfers = new CoreTransferState[](n);
        for (uint256 i; i < n; ++i) {
            (transfers[i],) = aliceToBob(keccak256(abi.encode(salt, i)), 1 ether + i, bytes32(i + 1));
        }
    }

    /// @dev Defunds the ETH of the recorded state `ccs` (at index 0), which lets its ETH
    /// transfers be disputed.
    function defundEth(CoreChannelState memory ccs) internal {
        channel.defundChannel(ccs, addrs(ETH), uints(0));
    }

    /// @dev The defund nonce a state resuming the channel carries for `assetId`: one above the
    /// one it was last paid out at.
    function nextDefundNonce(address assetId) internal view returns (uint256) {
        return channel.getDefundNonce(assetId) + 1;
    }

    /// @dev Disputes an ETH state (alice `aliceAmount`, bob 0) whose root commits to
    /// `transfers`, moves into its defund window and defunds ETH, so that the transfers can be
    /// disputed. The state carries the next defund nonce, as a state resuming the channel after
    /// earlier disputes would. Returns the state and the leaves.
    function disputeWithTransfers(CoreTransferState[] memory transfers, uint256 aliceAmount, uint256 nonce)
        internal
        returns (CoreChannelState memory ccs, bytes32[] memory leaves)
    {
        leaves = leavesOf(transfers);
        ccs = singleAssetState(ETH, aliceAmount, 0, nonce);
        ccs.defundNonces[0] = nextDefundNonce(ETH);
        ccs.merkleRoot = Merkle.root(leaves);
        disputeAndEnterDefund(ccs);
        defundEth(ccs);
    }

    /// @dev Disputes a state with `cts` as its only transfer, defunds ETH and disputes the
    /// transfer.
    function disputeSingleTransfer(CoreTransferState memory cts) internal {
        CoreTransferState[] memory transfers = new CoreTransferState[](1);
        transfers[0] = cts;
        disputeWithTransfers(transfers, 0, 1);
        channel.disputeTransfer(cts, new bytes32[](0));
    }
}
